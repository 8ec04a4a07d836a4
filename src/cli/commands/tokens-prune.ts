import { pruneStorage } from '../../storage/upkeep';
import type { CliCommand } from '../command';
import { parseFlags } from '../flags';
import { count } from '../format';

export const tokensPruneCommand: CliCommand = {
  name: 'tokens:prune',
  usage: 'tokens:prune',
  summary: 'deletes expired and ended sessions, expired refresh tokens, audit events past AUDIT_RETENTION, ended rate-limit windows, revoked or expired API tokens, expired device sign-in requests, one-time (email) tokens and social-login attempts',
  prepare(argv) {
    parseFlags(argv, {});
    return async (context) => {
      const storage = await context.storage();
      // The same upkeep as the server's PRUNE_INTERVAL timer (src/storage/upkeep.ts).
      const pruned = await pruneStorage({ storage, limiterStore: storage.limiterStore, clock: context.clock, auditRetentionMs: context.config.auditRetentionMs });
      context.print(
        `deleted ${count(pruned.sessions, 'session')}, ${count(pruned.refreshTokens, 'refresh token')}, ${count(pruned.auditEvents, 'audit event')}, ` +
          `${count(pruned.oneTimeTokens, 'one-time token')}, ${count(pruned.apiTokens, 'API token')}, ${count(pruned.deviceRequests, 'device request')}, ` +
          `${count(pruned.socialLoginAttempts, 'social-login attempt')} and ${count(pruned.rateLimitCounters, 'rate-limit counter')}`,
      );
    };
  },
};
