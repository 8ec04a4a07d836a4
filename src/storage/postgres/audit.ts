import { and, count, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import type { AuditPageQuery, AuditRepository } from '../audit';
import { writeAudit, type PgDb } from './database';
import { translatingErrors } from './errors';
import { auditEvents } from './schema';

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
      return (await db.delete(auditEvents).where(lt(auditEvents.at, cutoff))).rowCount ?? 0;
    },
  });
}
