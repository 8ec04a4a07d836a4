import type { Page } from '../schema/connection';
import { errors } from '../errors';
import { isAuditEventType } from './audit-event';
import type { AuditEvent, AuditRepository } from '../storage/audit';

export interface AuditEventQuery {
  first: number;
  /** Continue with events strictly older than this position. */
  after?: { at: Date; id: string };
  userId?: string;
  type?: string;
}

export type AuditEventPage = Page<AuditEvent>;

/** Reads the audit log, newest first. Writes happen in the repositories, inside each change's transaction. */
export function createAuditService(options: { audit: AuditRepository }) {
  const { audit } = options;

  async function page(query: AuditEventQuery): Promise<AuditEventPage> {
    // An unknown type would silently match nothing: a typo should be told, not answered with [].
    if (query.type !== undefined && !isAuditEventType(query.type)) {
      throw errors.badUserInput('type', `Unknown audit event type "${query.type.slice(0, 64)}".`);
    }
    const filters = { userId: query.userId, type: query.type };
    const { rows } = await audit.page({ first: query.first, before: query.after, ...filters });
    return { rows: rows.slice(0, query.first), hasNextPage: rows.length > query.first, totalCount: () => audit.count(filters) };
  }

  return {
    page,

    /** A user's own recent events: sign-ins, failures, sessions ended, password and role changes. */
    async recentForUser(userId: string, first: number): Promise<AuditEvent[]> {
      return (await page({ first, userId })).rows;
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
