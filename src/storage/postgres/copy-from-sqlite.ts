import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase } from '../sqlite/client';
import { applyMigrations } from '../sqlite/migrate';
import { CopyTargetNotEmptyError } from '../storage';
import * as sqlite from '../sqlite/schema';
import { drizzleOn } from './database';
import { toStorageError } from './errors';
import { applyPostgresMigrations } from './migrate';
import * as postgres from './schema';

/** Rows per INSERT: PostgreSQL takes at most 65,535 parameters in one statement. */
const BATCH = 500;

export interface CopyCounts {
  users: number;
  sessions: number;
  refreshTokens: number;
  signingKeys: number;
  auditEvents: number;
  /** Social-login identities: without them an account made by social login could not sign in. */
  identities: number;
}

/**
 * Moves an installation from SQLite to PostgreSQL: users, sessions with their refresh tokens
 * (so nobody is signed out), the signing keys (still sealed with the same KEYCARD_SECRET, so
 * tokens already issued keep verifying) and the audit log, in one PostgreSQL transaction: the
 * target ends up with all of it or nothing. Rate-limit windows are not copied (they last
 * minutes), nor social-login attempts in flight (10 minutes). The SQLite file is only read; stop the servers that write it first.
 */
export async function copySqliteToPostgres(sqlitePath: string, postgresUrl: string): Promise<CopyCounts> {
  const source = openDatabase(sqlitePath);
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
  pool.on('error', () => {});
  try {
    // The source at the newest schema, so that its rows have every column the target expects.
    applyMigrations(source);
    await applyPostgresMigrations(pool);
    const rows = {
      users: source.db.select().from(sqlite.users).all(),
      sessions: source.db.select().from(sqlite.sessions).all(),
      refreshTokens: source.db.select().from(sqlite.refreshTokens).all(),
      signingKeys: source.db.select().from(sqlite.signingKeys).all(),
      auditEvents: source.db.select().from(sqlite.auditEvents).all(),
      identities: source.db.select().from(sqlite.identities).all(),
    };
    const target = drizzleOn(pool);
    await target.transaction(async (tx) => {
      const [existing] = await tx.select({ n: sql<number>`count(*)::int` }).from(postgres.users);
      if ((existing?.n ?? 0) > 0) throw new CopyTargetNotEmptyError();
      // Parents before children: sessions reference users, refresh tokens sessions.
      const inBatches = async <T>(insert: (batch: T[]) => Promise<unknown>, all: T[]) => {
        for (let i = 0; i < all.length; i += BATCH) await insert(all.slice(i, i + BATCH));
      };
      await inBatches((batch) => tx.insert(postgres.users).values(batch), rows.users);
      await inBatches((batch) => tx.insert(postgres.sessions).values(batch), rows.sessions);
      await inBatches((batch) => tx.insert(postgres.refreshTokens).values(batch), rows.refreshTokens);
      await inBatches((batch) => tx.insert(postgres.signingKeys).values(batch), rows.signingKeys);
      await inBatches((batch) => tx.insert(postgres.auditEvents).values(batch), rows.auditEvents);
      await inBatches((batch) => tx.insert(postgres.identities).values(batch), rows.identities);
    });
    return {
      users: rows.users.length,
      sessions: rows.sessions.length,
      refreshTokens: rows.refreshTokens.length,
      signingKeys: rows.signingKeys.length,
      auditEvents: rows.auditEvents.length,
      identities: rows.identities.length,
    };
  } catch (error) {
    throw error instanceof CopyTargetNotEmptyError ? error : toStorageError(error);
  } finally {
    source.close();
    await pool.end();
  }
}
