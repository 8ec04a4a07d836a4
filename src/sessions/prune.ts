import type { AuditRepository } from '../storage/audit';
import type { Clock } from '../clock';
import type { SessionRepository } from '../storage/sessions';

export interface PruneDeps {
  sessions: SessionRepository;
  audit: AuditRepository;
  clock: Clock;
  /** Audit events older than this are deleted (AUDIT_RETENTION). */
  auditRetentionMs: number;
}

export interface PruneResult {
  sessions: number;
  refreshTokens: number;
  auditEvents: number;
}

/**
 * Deletes sessions that expired or ended, refresh tokens past their expiry, and audit events
 * older than the retention window. Shared by the server's timer and `tokens:prune`.
 */
export async function pruneExpired(deps: PruneDeps): Promise<PruneResult> {
  const now = deps.clock.now();
  const { sessions, refreshTokens } = await deps.sessions.pruneExpired(new Date(now));
  const auditEvents = await deps.audit.deleteOlderThan(new Date(now - deps.auditRetentionMs));
  return { sessions, refreshTokens, auditEvents };
}
