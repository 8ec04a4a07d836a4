import { openDatabase, type DatabaseHandle } from '../db/client';
import { applyMigrations } from '../db/migrate';

// Drizzle records applied migrations in this table (drizzle-orm's migrator default).
const MIGRATIONS_TABLE = '__drizzle_migrations';

function countApplied(handle: DatabaseHandle): number {
  const table = handle.sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(MIGRATIONS_TABLE);
  if (!table) return 0;
  const row = handle.sqlite.prepare(`select count(*) as n from "${MIGRATIONS_TABLE}"`).get() as { n: number };
  return row.n;
}

/** Opens DATABASE_URL and applies pending migrations, as the server does at start. */
export function openMigratedDatabase(databasePath: string): { handle: DatabaseHandle; applied: number } {
  const handle = openDatabase(databasePath);
  try {
    const before = countApplied(handle);
    applyMigrations(handle.db);
    return { handle, applied: countApplied(handle) - before };
  } catch (error) {
    handle.close();
    throw error;
  }
}
