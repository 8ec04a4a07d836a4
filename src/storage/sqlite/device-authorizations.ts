import { and, eq, gt, lt } from 'drizzle-orm';
import type { DeviceAuthorizationRepository, PollResult } from '../device-authorizations';
import { createAuditWriter } from './audit';
import type { Db } from './client';
import { deviceAuthorizations } from './schema';
import { isUniqueViolation } from './users';

/** Device authorization requests in SQLite; each check-then-write is one IMMEDIATE transaction. */
export function createDeviceAuthorizationRepository(db: Db): DeviceAuthorizationRepository {
  const writeAudit = createAuditWriter(db);
  return {
    async create(authorization, audit) {
      try {
        db.transaction(
          (tx) => {
            tx.insert(deviceAuthorizations).values({ ...authorization, status: 'pending' }).run();
            writeAudit(authorization.createdAt, audit);
          },
          { behavior: 'immediate' },
        );
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async findByUserCodeHash(userCodeHash) {
      return db.select().from(deviceAuthorizations).where(eq(deviceAuthorizations.userCodeHash, userCodeHash)).get();
    },
    async findByDeviceCodeHash(deviceCodeHash) {
      return db.select().from(deviceAuthorizations).where(eq(deviceAuthorizations.deviceCodeHash, deviceCodeHash)).get();
    },
    async recordPoll(id, at, slowDownSeconds) {
      return db.transaction(
        (tx): PollResult | undefined => {
          const current = tx.select().from(deviceAuthorizations).where(eq(deviceAuthorizations.id, id)).get();
          if (!current) return undefined;
          const tooSoon = current.lastPolledAt !== null && at.getTime() - current.lastPolledAt.getTime() < current.intervalSeconds * 1000;
          const intervalSeconds = tooSoon ? current.intervalSeconds + slowDownSeconds : current.intervalSeconds;
          tx.update(deviceAuthorizations).set({ lastPolledAt: at, intervalSeconds }).where(eq(deviceAuthorizations.id, id)).run();
          return { authorization: { ...current, lastPolledAt: at, intervalSeconds }, tooSoon };
        },
        { behavior: 'immediate' },
      );
    },
    async decide(id, decision, at, audit) {
      return db.transaction(
        (tx) => {
          const changed = tx
            .update(deviceAuthorizations)
            .set(
              decision.approved
                ? { status: 'approved', userId: decision.userId, grantedScopes: decision.grantedScopes, decidedAt: at }
                : { status: 'denied', userId: decision.userId, decidedAt: at },
            )
            .where(and(eq(deviceAuthorizations.id, id), eq(deviceAuthorizations.status, 'pending'), gt(deviceAuthorizations.expiresAt, at)))
            .run().changes;
          if (changed !== 1) return false;
          writeAudit(at, audit);
          return true;
        },
        { behavior: 'immediate' },
      );
    },
    async consume(id, sessionId, at) {
      const changed = db
        .update(deviceAuthorizations)
        .set({ status: 'consumed', sessionId })
        .where(and(eq(deviceAuthorizations.id, id), eq(deviceAuthorizations.status, 'approved'), gt(deviceAuthorizations.expiresAt, at)))
        .run().changes;
      return changed === 1;
    },
    async pruneExpired(cutoff) {
      return db.delete(deviceAuthorizations).where(lt(deviceAuthorizations.expiresAt, cutoff)).run().changes;
    },
  };
}
