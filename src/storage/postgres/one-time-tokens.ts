import { and, eq, isNull, lt, ne } from 'drizzle-orm';
import type { AuditEventInput } from '../../audit/audit-event';
import type { ConsumeOutcome, OneTimeAction, OneTimeTokenRepository } from '../one-time-tokens';
import { inTransaction, notifyViewerStateChanged, writeAudit, type PgDb, type PgWriter } from './database';
import { isUniqueViolation, translatingErrors } from './errors';
import { oneTimeTokens, refreshTokens, sessions, users } from './schema';
import { endLiveSessionsOfUser } from './users';

/** Voids a user's outstanding tokens (of one purpose, or all); returns how many. */
export async function voidOutstandingTokens(writer: PgWriter, userId: string, at: Date, purpose?: string): Promise<number> {
  const result = await writer
    .update(oneTimeTokens)
    .set({ invalidatedAt: at })
    .where(
      and(
        eq(oneTimeTokens.userId, userId),
        isNull(oneTimeTokens.usedAt),
        isNull(oneTimeTokens.invalidatedAt),
        purpose ? eq(oneTimeTokens.purpose, purpose as 'VERIFY_EMAIL') : undefined,
      ),
    );
  return result.rowCount ?? 0;
}

/**
 * One-time tokens in PostgreSQL. `consume` locks the token's row (FOR UPDATE), then the user's:
 * a concurrent use of the same token waits for the lock, then reads it used (READ COMMITTED
 * re-reads a locked row's newest version), so exactly one use wins.
 */
export function createPostgresOneTimeTokenRepository(db: PgDb): OneTimeTokenRepository {
  const repository = translatingErrors<OneTimeTokenRepository>({
    async issue(token, audit) {
      await inTransaction(db, async (tx) => {
        // The user's row lock orders two concurrent requests, so only the later token stays live.
        await tx.select({ id: users.id }).from(users).where(eq(users.id, token.userId)).for('no key update');
        await voidOutstandingTokens(tx, token.userId, token.createdAt, token.purpose);
        await tx.insert(oneTimeTokens).values(token);
        await writeAudit(tx, token.createdAt, audit);
      });
    },
    async findByLinkHash(linkHash) {
      return (await db.select().from(oneTimeTokens).where(eq(oneTimeTokens.linkHash, linkHash)))[0];
    },
    async findByCode(purpose, email, codeHash) {
      return (
        await db
          .select()
          .from(oneTimeTokens)
          .where(and(eq(oneTimeTokens.purpose, purpose), eq(oneTimeTokens.email, email), eq(oneTimeTokens.codeHash, codeHash)))
      )[0];
    },
    async consume(tokenId, at, action, audit) {
      try {
        return await consumeInTransaction(tokenId, at, action, audit);
      } catch (error) {
        // A signup took the new address between the check and the update: the unique index decides.
        if (action.kind === 'CHANGE_EMAIL' && isUniqueViolation(error, 'users_email_unique')) return { kind: 'EMAIL_TAKEN' };
        throw error;
      }
    },
    async markEmailVerified(userId, at, audit) {
      return inTransaction(db, async (tx) => {
        const [user] = await tx.select().from(users).where(eq(users.id, userId)).for('no key update');
        if (!user) return false;
        if (user.emailVerifiedAt === null) await tx.update(users).set({ emailVerifiedAt: at, updatedAt: at }).where(eq(users.id, userId));
        await writeAudit(tx, at, audit);
        await notifyViewerStateChanged(tx, `user:${userId}`);
        return true;
      });
    },
    async pruneExpired(cutoff) {
      const result = await db.delete(oneTimeTokens).where(lt(oneTimeTokens.expiresAt, cutoff));
      return result.rowCount ?? 0;
    },
  });
  return repository;

  function consumeInTransaction(tokenId: string, at: Date, action: OneTimeAction, audit: AuditEventInput): Promise<ConsumeOutcome> {
    return inTransaction(db, async (tx): Promise<ConsumeOutcome> => {
      const [token] = await tx.select().from(oneTimeTokens).where(eq(oneTimeTokens.id, tokenId)).for('update');
      if (!token) return { kind: 'UNKNOWN' };
      if (token.usedAt !== null || token.invalidatedAt !== null) return { kind: 'USED' };
      if (token.expiresAt.getTime() <= at.getTime()) return { kind: 'EXPIRED' };
      const [user] = await tx.select().from(users).where(eq(users.id, token.userId)).for('no key update');
      if (!user || (token.purpose !== 'CHANGE_EMAIL' && user.email !== token.email)) return { kind: 'UNKNOWN' };
      if (user.disabledAt !== null) return { kind: 'ACCOUNT_DISABLED' };
      if (action.kind === 'CHANGE_EMAIL') {
        const [taken] = await tx.select({ id: users.id }).from(users).where(and(eq(users.email, token.email), ne(users.id, user.id)));
        if (taken) return { kind: 'EMAIL_TAKEN' };
      }
      await tx.update(oneTimeTokens).set({ usedAt: at }).where(eq(oneTimeTokens.id, tokenId));
      const verifiedAt = user.emailVerifiedAt ?? at;
      let sessionsEnded = 0;
      switch (action.kind) {
        case 'VERIFY_EMAIL':
          await tx.update(users).set({ emailVerifiedAt: verifiedAt, updatedAt: at }).where(eq(users.id, user.id));
          break;
        case 'RESET_PASSWORD':
          await tx.update(users).set({ passwordHash: action.passwordHash, emailVerifiedAt: verifiedAt, updatedAt: at }).where(eq(users.id, user.id));
          sessionsEnded = await endLiveSessionsOfUser(tx, user.id, action.revokeReason, at);
          await voidOutstandingTokens(tx, user.id, at);
          break;
        case 'MAGIC_LINK':
          if (user.emailVerifiedAt === null) await tx.update(users).set({ emailVerifiedAt: at, updatedAt: at }).where(eq(users.id, user.id));
          await tx.insert(sessions).values({ userAgent: null, ip: null, csrfTokenHash: null, ...action.session });
          await tx.insert(refreshTokens).values({ ...action.refreshToken, sessionId: action.session.id });
          await writeAudit(tx, at, action.sessionAudit);
          break;
        case 'CHANGE_EMAIL':
          await tx.update(users).set({ email: token.email, emailVerifiedAt: at, updatedAt: at }).where(eq(users.id, user.id));
          await voidOutstandingTokens(tx, user.id, at);
          break;
      }
      await writeAudit(tx, at, { ...audit, detail: { ...audit.detail, ...(action.kind === 'RESET_PASSWORD' ? { sessionsEnded } : {}) } });
      // Other instances' session-check caches hold the user (address, verification) and its sessions.
      await notifyViewerStateChanged(tx, `user:${user.id}`);
      const [updated] = await tx.select().from(users).where(eq(users.id, user.id));
      return { kind: 'DONE', user: updated!, sessionsEnded };
    });
  }
}
