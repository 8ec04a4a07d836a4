import path from 'node:path';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { DatabaseHandle } from './client';

/** drizzle/sqlite/ sits at the package root; this file runs from dist/src/storage/sqlite/. */
export const MIGRATIONS_FOLDER = path.resolve(__dirname, '..', '..', '..', '..', 'drizzle', 'sqlite');

// Drizzle records applied migrations in this table (drizzle-orm's migrator default), by hash and
// the journal's timestamp: the folder they were read from is not recorded, so moving it is safe.
const MIGRATIONS_TABLE = '__drizzle_migrations';

function countApplied(handle: DatabaseHandle): number {
  const table = handle.sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(MIGRATIONS_TABLE);
  if (!table) return 0;
  const row = handle.sqlite.prepare(`select count(*) as n from "${MIGRATIONS_TABLE}"`).get() as { n: number };
  return row.n;
}

/** Applies pending migrations; returns how many it applied. */
export function applyMigrations(handle: DatabaseHandle, migrationsFolder = MIGRATIONS_FOLDER): number {
  const before = countApplied(handle);
  // A column change rebuilds the table (https://sqlite.org/lang_altertable.html#otheralter):
  // CREATE new, copy, DROP old, RENAME. With foreign keys on, DROP TABLE users would first
  // delete every row, and ON DELETE CASCADE every session with it. The migration's own
  // `PRAGMA foreign_keys=OFF` does nothing inside the migrator's transaction, so it is turned
  // off here, outside it, and the keys are checked before turning it back on.
  handle.sqlite.pragma('foreign_keys = OFF');
  try {
    migrate(handle.db, { migrationsFolder });
    const violations = handle.sqlite.pragma('foreign_key_check') as unknown[];
    if (violations.length > 0) throw new Error(`the migrations left ${violations.length} rows whose foreign key points nowhere`);
  } finally {
    handle.sqlite.pragma('foreign_keys = ON');
  }
  return countApplied(handle) - before;
}
