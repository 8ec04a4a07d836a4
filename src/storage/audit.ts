import type { AuditEventInput } from '../audit/audit-event';
import { timeOrderedId } from './time-ordered-id';

/** An audit event as stored; `type` is one of AuditEventType's values, stored as text. */
export interface AuditEvent {
  id: string;
  at: Date;
  type: string;
  userId: string | null;
  actorId: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown> | null;
}

/** The event as every adapter stores it: a new id, absent origin fields as null. */
export function newAuditEvent(at: Date, event: AuditEventInput): AuditEvent {
  return {
    id: timeOrderedId(at.getTime()),
    at,
    type: event.type,
    userId: event.userId ?? null,
    actorId: event.actorId ?? null,
    sessionId: event.sessionId ?? null,
    ip: event.ip ?? null,
    userAgent: event.userAgent ?? null,
    detail: event.detail ?? null,
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
  /** Up to `first + 1` events, newest first: the extra one tells whether another page follows. */
  page(query: AuditPageQuery): Promise<{ rows: AuditEvent[] }>;
  /** How many events match the filters (the connection's totalCount, read only when asked for). */
  count(filters: Pick<AuditPageQuery, 'userId' | 'type'>): Promise<number>;
  deleteOlderThan(cutoff: Date): Promise<number>;
}
