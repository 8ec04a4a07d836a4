import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { AuditEventInput } from '../../audit/audit-event';
import type { ViewerStateChanges } from '../viewer-state-cache';
import { isRetryable } from './errors';
import * as schema from './schema';
import { auditEvents } from './schema';
import { newAuditEvent } from '../audit';
import { VIEWER_STATE_CHANNEL } from './viewer-state-listener';

export type PgDb = NodePgDatabase<typeof schema>;
/** A transaction handle: the same query API as PgDb, on one connection. */
export type PgTx = Parameters<Parameters<PgDb['transaction']>[0]>[0];
/** What a helper that may run inside or outside a transaction writes through. */
export type PgWriter = PgDb | PgTx;

export function drizzleOn(pool: import('pg').Pool): PgDb {
  return drizzle(pool, { schema });
}

/** Attempts of a transaction that PostgreSQL aborted as a deadlock or serialization failure. */
const TRANSACTION_ATTEMPTS = 3;

/**
 * Runs `work` in one READ COMMITTED transaction on one pooled connection: committed if it
 * returns, rolled back if it throws. The guards are each statement's own (a conditional UPDATE,
 * rows locked FOR UPDATE, an advisory lock), so READ COMMITTED is the level they are written
 * for. A deadlock (40P01) or serialization failure (40001) runs the whole transaction again:
 * `work` must have no effect outside the database.
 */
export async function inTransaction<T>(db: PgDb, work: (tx: PgTx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (attempt < TRANSACTION_ATTEMPTS && isRetryable(error)) continue;
      throw error;
    }
  }
}

/** Runs a single statement (its own transaction) again if PostgreSQL aborted it as a deadlock or serialization failure. */
export async function retryingStatement<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt < TRANSACTION_ATTEMPTS && isRetryable(error)) continue;
      throw error;
    }
  }
}

/**
 * Notifies every instance listening on `channel` (viewer-state-listener.ts). The sender's
 * application_name leads the payload, so the sending instance's listener skips its own. Inside
 * a transaction, PostgreSQL delivers it only if, and once, that transaction commits.
 */
export async function notifyInstances(writer: PgWriter, channel: string, payload: string): Promise<void> {
  await writer.execute(sql`SELECT pg_notify(${channel}, current_setting('application_name') || ' ' || ${payload})`);
}

/** Tells every instance's viewer-state cache that something it may hold changed; sent inside the writing transaction. */
export function notifyViewerStateChanged(tx: PgWriter, subject: string): Promise<void> {
  return notifyInstances(tx, VIEWER_STATE_CHANNEL, subject);
}


/** Writes one audit event; given a transaction, it commits or rolls back with it. */
export async function writeAudit(writer: PgWriter, at: Date, event: AuditEventInput): Promise<void> {
  await writer.insert(auditEvents).values(newAuditEvent(at, event));
}
