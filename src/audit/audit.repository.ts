import crypto from 'node:crypto';
import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditEvents, type AuditEventRow } from '../db/schema';
import type { AuditEventInput } from './audit-event';

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
    insert.run({
      id: crypto.randomUUID(),
      at,
      type: event.type,
      userId: event.userId ?? null,
      actorId: event.actorId ?? null,
      sessionId: event.sessionId ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent ?? null,
      detail: event.detail ?? null,
    });
  };
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
  const writeAudit = createAuditWriter(db);
  return {
    async record(at, event) {
      writeAudit(at, event);
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
