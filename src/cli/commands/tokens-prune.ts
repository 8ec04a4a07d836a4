import { createAuditRepository } from '../../audit/audit.repository';
import { pruneExpired } from '../../sessions/prune';
import { createSessionRepository } from '../../sessions/session.repository';
import type { CliCommand } from '../command';
import { parseFlags } from '../flags';
import { count } from '../format';

export const tokensPruneCommand: CliCommand = {
  name: 'tokens:prune',
  usage: 'tokens:prune',
  summary: 'deletes expired and ended sessions, expired refresh tokens and audit events past AUDIT_RETENTION',
  prepare(argv) {
    parseFlags(argv, {});
    return async (context) => {
      const { db } = context.database();
      const pruned = await pruneExpired({
        sessions: createSessionRepository(db),
        audit: createAuditRepository(db),
        clock: context.clock,
        auditRetentionMs: context.config.auditRetentionMs,
      });
      context.print(
        `deleted ${count(pruned.sessions, 'session')}, ${count(pruned.refreshTokens, 'refresh token')} and ${count(pruned.auditEvents, 'audit event')}`,
      );
    };
  },
};
