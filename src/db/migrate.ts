import path from 'node:path';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { Db } from './client';

/** drizzle/ sits at the package root; this file runs from dist/src/db/. */
export const MIGRATIONS_FOLDER = path.resolve(__dirname, '..', '..', '..', 'drizzle');

export function applyMigrations(db: Db): void {
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}
