import { and, eq, gt, lt } from 'drizzle-orm';
import type { DeviceAuthorizationRepository, PollResult } from '../device-authorizations';
import { inTransaction, writeAudit, type PgDb } from './database';
import { isUniqueViolation, translatingErrors } from './errors';
import { deviceAuthorizations } from './schema';

/**
 * Device authorization requests on PostgreSQL. Decisions and consumption are conditional
 * UPDATEs (the status in the WHERE is the guard, so of two instances only one matches); a poll
 * locks its row (FOR UPDATE) so two polls at once are told apart by their order.
 */
export function createPostgresDeviceAuthorizationRepository(db: PgDb): DeviceAuthorizationRepository {
  return translatingErrors<DeviceAuthorizationRepository>({
    async create(authorization, audit) {
      try {
        await inTransaction(db, async (tx) => {
          await tx.insert(deviceAuthorizations).values({ ...authorization, status: 'pending' });
          await writeAudit(tx, authorization.createdAt, audit);
        });
        return true;
      } catch (error) {
        if (isUniqueViolation(error, 'device_authorizations_user_code_hash_unique') || isUniqueViolation(error, 'device_authorizations_device_code_hash_unique')) return false;
        throw error;
      }
    },
    async findByUserCodeHash(userCodeHash) {
      return (await db.select().from(deviceAuthorizations).where(eq(deviceAuthorizations.userCodeHash, userCodeHash)))[0];
    },
    async findByDeviceCodeHash(deviceCodeHash) {
      return (await db.select().from(deviceAuthorizations).where(eq(deviceAuthorizations.deviceCodeHash, deviceCodeHash)))[0];
    },
    async recordPoll(id, at, slowDownSeconds) {
      return inTransaction(db, async (tx): Promise<PollResult | undefined> => {
        const [current] = await tx.select().from(deviceAuthorizations).where(eq(deviceAuthorizations.id, id)).for('update');
        if (!current) return undefined;
        const tooSoon = current.lastPolledAt !== null && at.getTime() - current.lastPolledAt.getTime() < current.intervalSeconds * 1000;
        const intervalSeconds = tooSoon ? current.intervalSeconds + slowDownSeconds : current.intervalSeconds;
        await tx.update(deviceAuthorizations).set({ lastPolledAt: at, intervalSeconds }).where(eq(deviceAuthorizations.id, id));
        return { authorization: { ...current, lastPolledAt: at, intervalSeconds }, tooSoon };
      });
    },
    async decide(id, decision, at, audit) {
      return inTransaction(db, async (tx) => {
        const changed = await tx
          .update(deviceAuthorizations)
          .set(
            decision.approved
              ? { status: 'approved', userId: decision.userId, grantedScopes: decision.grantedScopes, decidedAt: at }
              : { status: 'denied', userId: decision.userId, decidedAt: at },
          )
          .where(and(eq(deviceAuthorizations.id, id), eq(deviceAuthorizations.status, 'pending'), gt(deviceAuthorizations.expiresAt, at)))
          .returning({ id: deviceAuthorizations.id });
        if (changed.length !== 1) return false;
        await writeAudit(tx, at, audit);
        return true;
      });
    },
    async consume(id, sessionId, at) {
      const changed = await db
        .update(deviceAuthorizations)
        .set({ status: 'consumed', sessionId })
        .where(and(eq(deviceAuthorizations.id, id), eq(deviceAuthorizations.status, 'approved'), gt(deviceAuthorizations.expiresAt, at)))
        .returning({ id: deviceAuthorizations.id });
      return changed.length === 1;
    },
    async pruneExpired(cutoff) {
      const deleted = await db.delete(deviceAuthorizations).where(lt(deviceAuthorizations.expiresAt, cutoff)).returning({ id: deviceAuthorizations.id });
      return deleted.length;
    },
  });
}
