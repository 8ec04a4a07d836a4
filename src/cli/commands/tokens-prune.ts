import { pruneExpired } from '../../sessions/prune';
import type { CliCommand } from '../command';
import { parseFlags } from '../flags';
import { count } from '../format';

export const tokensPruneCommand: CliCommand = {
  name: 'tokens:prune',
  usage: 'tokens:prune',
  summary: 'deletes expired and ended sessions, expired refresh tokens, audit events past AUDIT_RETENTION, ended rate-limit windows, expired device sign-in requests, expired one-time (email) tokens and expired social-login attempts',
  prepare(argv) {
    parseFlags(argv, {});
    return async (context) => {
      const storage = await context.storage();
      const pruned = await pruneExpired({
        sessions: storage.sessions,
        audit: storage.audit,
        clock: context.clock,
        auditRetentionMs: context.config.auditRetentionMs,
      });
      // The same upkeep as the server's PRUNE_INTERVAL timer, rate-limit counters and mailed tokens included.
      const oneTimeTokens = await storage.oneTimeTokens.pruneExpired(new Date(context.clock.now()));
      const counters = await storage.limiterStore.clearExpired();
      // Device requests live 10 minutes; expired ones are dropped as the timer drops them.
      await storage.deviceAuthorizations.pruneExpired(new Date(context.clock.now()));
      const attempts = await storage.oauth.deleteExpiredStates(new Date(context.clock.now()));
      context.print(
        `deleted ${count(pruned.sessions, 'session')}, ${count(pruned.refreshTokens, 'refresh token')}, ${count(pruned.auditEvents, 'audit event')}, ${count(oneTimeTokens, 'one-time token')}, ` +
          `${count(attempts, 'social-login attempt')} and ${count(counters, 'rate-limit counter')}`,
      );
    };
  },
};
