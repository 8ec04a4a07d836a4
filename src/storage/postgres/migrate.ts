import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';

/** drizzle/postgres/ sits at the package root; this file runs from dist/src/storage/postgres/. */
export const POSTGRES_MIGRATIONS_FOLDER = path.resolve(__dirname, '..', '..', '..', '..', 'drizzle', 'postgres');

/**
 * Applies the migrations that are not yet applied. Several instances starting together against
 * one database take turns on a session-level advisory lock: without it two of them could both
 * find a migration missing and both run it (CREATE TABLE fails for the second; even drizzle's
 * CREATE SCHEMA IF NOT EXISTS can fail on a concurrent create).
 */
/** Applied migrations recorded by drizzle's migrator, 0 before the first. */
async function countApplied(client: pg.PoolClient): Promise<number> {
  const table = await client.query(`SELECT to_regclass('drizzle.__drizzle_migrations') AS t`);
  if (table.rows[0]?.t === null) return 0;
  const count = await client.query('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
  return count.rows[0].n as number;
}

/** Applies pending migrations; returns how many it applied. */
export async function applyPostgresMigrations(pool: pg.Pool, migrationsFolder = POSTGRES_MIGRATIONS_FOLDER): Promise<number> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`SELECT pg_advisory_lock(hashtextextended('keycard:migrations', 0))`);
    try {
      const before = await countApplied(client);
      await migrate(drizzle(client), { migrationsFolder, migrationsSchema: 'drizzle', migrationsTable: '__drizzle_migrations' });
      return (await countApplied(client)) - before;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtextextended('keycard:migrations', 0))`);
    }
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // A connection whose unlock failed may still hold the lock: never give it back to the pool.
    client.release(broken);
  }
}

