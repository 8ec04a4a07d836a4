import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_DIALECT } from './dialect';
import { createMigratedTestDatabase } from './postgres';

export interface SharedTestDatabase {
  /** The DATABASE_URL to give every app, storage or process that shares this database. */
  readonly url: string;
  /** Deletes it: call after everything opened on it is closed. */
  remove(): Promise<void>;
}

/**
 * One database that outlives an app, for tests where two apps, a restart or another process
 * use the same data: a SQLite file in a temporary directory, or under TEST_DATABASE=postgres a
 * new PostgreSQL database on the test server.
 */
export async function createSharedTestDatabase(): Promise<SharedTestDatabase> {
  if (TEST_DIALECT === 'postgres') {
    const database = await createMigratedTestDatabase();
    return { url: database.url, remove: () => database.drop() };
  }
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-shared-'));
  return {
    url: `file:${path.join(directory, 'keycard.db')}`,
    remove: async () => fs.rmSync(directory, { recursive: true, force: true }),
  };
}
