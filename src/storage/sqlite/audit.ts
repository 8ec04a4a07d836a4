import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { AuditEventInput } from '../../audit/audit-event';
import { newAuditEvent, type AuditRepository, type AuditPageQuery } from '../audit';
import type { Db } from './client';
import { auditEvents } from './schema';
import { PRUNE_BATCH_ROWS, yieldToRequests } from '../sessions';

/** Writes one audit event; inside a repository's transaction it joins that transaction. */
export type AuditWriter = (at: Date, event: AuditEventInput) => void;

/**
 * A prepared insert: events are written on hot paths (every login and refresh). better-sqlite3
 * has one connection, so a statement prepared on the database runs inside any open transaction.
 */
export function createAuditWriter(db: Db): AuditWriter {
  const insert = db
    .insert(auditEvents)
    .values({
      id: sql.placeholder('id'),
      at: sql.placeholder('at'),
      type: sql.placeholder('type'),
      userId: sql.placeholder('userId'),
      actorId: sql.placeholder('actorId'),
      sessionId: sql.placeholder('sessionId'),
      ip: sql.placeholder('ip'),
      userAgent: sql.placeholder('userAgent'),
      detail: sql.placeholder('detail'),
    })
    .prepare();
  return (at, event) => {
    insert.run({ ...newAuditEvent(at, event) });
  };
}

function filtersOf({ userId, type }: Pick<AuditPageQuery, 'userId' | 'type'>): SQL | undefined {
  const filters: SQL[] = [];
  if (userId !== undefined) filters.push(eq(auditEvents.userId, userId));
  if (type !== undefined) filters.push(eq(auditEvents.type, type));
  return filters.length ? and(...filters) : undefined;
}

export function createAuditRepository(db: Db): AuditRepository {
  const writeAudit = createAuditWriter(db);
  return {
    async record(at, event) {
      writeAudit(at, event);
    },
    async page({ first, before, userId, type }) {
      const cursor = before
        ? or(lt(auditEvents.at, before.at), and(eq(auditEvents.at, before.at), lt(auditEvents.id, before.id)))
        : undefined;
      const rows = db
        .select()
        .from(auditEvents)
        .where(and(filtersOf({ userId, type }), cursor))
        .orderBy(desc(auditEvents.at), desc(auditEvents.id))
        .limit(first + 1)
        .all();
      return { rows };
    },
    async count(filters) {
      return db.select({ n: sql<number>`count(*)` }).from(auditEvents).where(filtersOf(filters)).get()?.n ?? 0;
    },
    async deleteOlderThan(cutoff) {
      // In batches with the event loop free between two, like the sessions' prune.
      let total = 0;
      for (;;) {
        const old = db.select({ id: auditEvents.id }).from(auditEvents).where(lt(auditEvents.at, cutoff)).limit(PRUNE_BATCH_ROWS);
        const deleted = db.delete(auditEvents).where(inArray(auditEvents.id, old)).run().changes;
        total += deleted;
        if (deleted < PRUNE_BATCH_ROWS) return total;
        await yieldToRequests();
      }
    },
  };
}
