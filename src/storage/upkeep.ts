import type { Clock } from '../clock';
import { pruneExpired, type PruneResult } from '../sessions/prune';
import type { LimiterStore } from './rate-limits';
import type { Storage } from './storage';

export interface UpkeepResult extends PruneResult {
  oneTimeTokens: number;
  apiTokens: number;
  deviceRequests: number;
  socialLoginAttempts: number;
  rateLimitCounters: number;
}

/**
 * Everything that expires, deleted: sessions and refresh tokens, audit events past the
 * retention, mailed one-time tokens, revoked or expired API tokens (only their audit events
 * stay), device requests, social-login attempts and ended rate-limit windows. The one list the
 * server's PRUNE_INTERVAL timer and `tokens:prune` both run, so neither can forget a table.
 */
export async function pruneStorage(deps: { storage: Storage; limiterStore: LimiterStore; clock: Clock; auditRetentionMs: number }): Promise<UpkeepResult> {
  const { storage, clock } = deps;
  const pruned = await pruneExpired({ sessions: storage.sessions, audit: storage.audit, clock, auditRetentionMs: deps.auditRetentionMs });
  const now = new Date(clock.now());
  return {
    ...pruned,
    oneTimeTokens: await storage.oneTimeTokens.pruneExpired(now),
    apiTokens: await storage.apiTokens.pruneExpired(now),
    deviceRequests: await storage.deviceAuthorizations.pruneExpired(now),
    socialLoginAttempts: await storage.oauth.deleteExpiredStates(now),
    rateLimitCounters: await deps.limiterStore.clearExpired(),
  };
}
