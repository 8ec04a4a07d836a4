import { and, count, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import type { AuditPageQuery, AuditRepository } from '../audit';
import { writeAudit, type PgDb } from './database';
import { translatingErrors } from './errors';
import { auditEvents } from './schema';
import { PRUNE_BATCH_ROWS, yieldToRequests } from '../sessions';

function filtersOf({ userId, type }: Pick<AuditPageQuery, 'userId' | 'type'>): SQL | undefined {
  const filters: SQL[] = [];
  if (userId !== undefined) filters.push(eq(auditEvents.userId, userId));
  if (type !== undefined) filters.push(eq(auditEvents.type, type));
  return filters.length ? and(...filters) : undefined;
}

export function createPostgresAuditRepository(db: PgDb): AuditRepository {
  return translatingErrors<AuditRepository>({
    async record(at, event) {
      await writeAudit(db, at, event);
    },
    async page({ first, before, userId, type }) {
      const cursor = before
        ? or(lt(auditEvents.at, before.at), and(eq(auditEvents.at, before.at), lt(auditEvents.id, before.id)))
        : undefined;
      const rows = await db
        .select()
        .from(auditEvents)
        .where(and(filtersOf({ userId, type }), cursor))
        .orderBy(desc(auditEvents.at), desc(auditEvents.id))
        .limit(first + 1);
      return { rows };
    },
    async count(filters) {
      return (await db.select({ n: count() }).from(auditEvents).where(filtersOf(filters)))[0]?.n ?? 0;
    },
    async deleteOlderThan(cutoff) {
      // In batches, each a short statement, like the sessions' prune.
      let total = 0;
      for (;;) {
        const old = db.select({ id: auditEvents.id }).from(auditEvents).where(lt(auditEvents.at, cutoff)).limit(PRUNE_BATCH_ROWS);
        const deleted = (await db.delete(auditEvents).where(inArray(auditEvents.id, old))).rowCount ?? 0;
        total += deleted;
        if (deleted < PRUNE_BATCH_ROWS) return total;
        await yieldToRequests();
      }
    },
  });
}
