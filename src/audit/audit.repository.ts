import crypto from 'node:crypto';
import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditEvents, type AuditEventRow } from '../db/schema';
import type { AuditEventInput } from './audit-event';

/** Drizzle's transaction handle and the database share this insert API. */
type Writer = Pick<Db, 'insert'>;

export function insertAuditEvent(writer: Writer, at: Date, event: AuditEventInput): void {
  writer
    .insert(auditEvents)
    .values({
      id: crypto.randomUUID(),
      at,
      type: event.type,
      userId: event.userId ?? null,
      actorId: event.actorId ?? null,
      sessionId: event.sessionId ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent ?? null,
      detail: event.detail ?? null,
    })
    .run();
}

export interface AuditPageQuery {
  first: number;
  /** Events strictly older than this (at, id) position. */
  before?: { at: Date; id: string };
  userId?: string;
  type?: string;
}

export interface AuditRepository {
  record(at: Date, event: AuditEventInput): Promise<void>;
  page(query: AuditPageQuery): Promise<{ rows: AuditEventRow[]; totalCount: number }>;
  deleteOlderThan(cutoff: Date): Promise<number>;
}

export function createAuditRepository(db: Db): AuditRepository {
  return {
    async record(at, event) {
      insertAuditEvent(db, at, event);
    },
    async page({ first, before, userId, type }) {
      const filters: SQL[] = [];
      if (userId !== undefined) filters.push(eq(auditEvents.userId, userId));
      if (type !== undefined) filters.push(eq(auditEvents.type, type));
      const where = filters.length ? and(...filters) : undefined;
      const cursor = before
        ? or(lt(auditEvents.at, before.at), and(eq(auditEvents.at, before.at), lt(auditEvents.id, before.id)))
        : undefined;
      const rows = db
        .select()
        .from(auditEvents)
        .where(and(where, cursor))
        .orderBy(desc(auditEvents.at), desc(auditEvents.id))
        .limit(first + 1)
        .all();
      const total = db.select({ n: sql<number>`count(*)` }).from(auditEvents).where(where).get();
      return { rows, totalCount: total?.n ?? 0 };
    },
    async deleteOlderThan(cutoff) {
      return db.delete(auditEvents).where(lt(auditEvents.at, cutoff)).run().changes;
    },
  };
}
