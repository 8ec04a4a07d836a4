import { and, eq, isNull, lt, ne } from 'drizzle-orm';
import type { ConsumeOutcome, OneTimeTokenRepository } from '../one-time-tokens';
import { createAuditWriter } from './audit';
import type { Db } from './client';
import { oneTimeTokens, refreshTokens, sessions, users } from './schema';
import { endLiveSessionsOfUser } from './sessions';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Voids a user's outstanding tokens (of one purpose, or all); returns how many. */
export function voidOutstandingTokens(writer: Pick<Db, 'update'> | Tx, userId: string, at: Date, purpose?: string): number {
  return writer
    .update(oneTimeTokens)
    .set({ invalidatedAt: at })
    .where(
      and(
        eq(oneTimeTokens.userId, userId),
        isNull(oneTimeTokens.usedAt),
        isNull(oneTimeTokens.invalidatedAt),
        purpose ? eq(oneTimeTokens.purpose, purpose as 'VERIFY_EMAIL') : undefined,
      ),
    )
    .run().changes;
}

/**
 * One-time tokens in SQLite. `consume` reads, checks and acts under one write lock (BEGIN
 * IMMEDIATE): two concurrent uses of one token are serialized and the second finds it used.
 */
export function createOneTimeTokenRepository(db: Db): OneTimeTokenRepository {
  const writeAudit = createAuditWriter(db);

  return {
    async issue(token, audit) {
      db.transaction(
        (tx) => {
          voidOutstandingTokens(tx, token.userId, token.createdAt, token.purpose);
          tx.insert(oneTimeTokens).values(token).run();
          writeAudit(token.createdAt, audit);
        },
        { behavior: 'immediate' },
      );
    },
    async findByLinkHash(linkHash) {
      return db.select().from(oneTimeTokens).where(eq(oneTimeTokens.linkHash, linkHash)).get();
    },
    async findByCode(purpose, email, codeHash) {
      return db
        .select()
        .from(oneTimeTokens)
        .where(and(eq(oneTimeTokens.purpose, purpose), eq(oneTimeTokens.email, email), eq(oneTimeTokens.codeHash, codeHash)))
        .get();
    },
    async consume(tokenId, at, action, audit) {
      return db.transaction(
        (tx): ConsumeOutcome => {
          const token = tx.select().from(oneTimeTokens).where(eq(oneTimeTokens.id, tokenId)).get();
          if (!token) return { kind: 'UNKNOWN' };
          if (token.usedAt !== null || token.invalidatedAt !== null) return { kind: 'USED' };
          if (token.expiresAt.getTime() <= at.getTime()) return { kind: 'EXPIRED' };
          const user = tx.select().from(users).where(eq(users.id, token.userId)).get();
          // Bound to the address it was mailed to: once the account moved to another address, it is void.
          if (!user || (token.purpose !== 'CHANGE_EMAIL' && user.email !== token.email)) return { kind: 'UNKNOWN' };
          if (user.disabledAt !== null) return { kind: 'ACCOUNT_DISABLED' };
          if (action.kind === 'CHANGE_EMAIL') {
            const taken = tx.select({ id: users.id }).from(users).where(and(eq(users.email, token.email), ne(users.id, user.id))).get();
            if (taken) return { kind: 'EMAIL_TAKEN' };
          }
          tx.update(oneTimeTokens).set({ usedAt: at }).where(eq(oneTimeTokens.id, tokenId)).run();
          const verifiedAt = user.emailVerifiedAt ?? at;
          let sessionsEnded = 0;
          switch (action.kind) {
            case 'VERIFY_EMAIL':
              tx.update(users).set({ emailVerifiedAt: verifiedAt, updatedAt: at }).where(eq(users.id, user.id)).run();
              break;
            case 'RESET_PASSWORD':
              // Whoever holds the mailbox proved it; every session ends and every other mailed token is void.
              tx.update(users).set({ passwordHash: action.passwordHash, emailVerifiedAt: verifiedAt, updatedAt: at }).where(eq(users.id, user.id)).run();
              sessionsEnded = endLiveSessionsOfUser(tx, user.id, action.revokeReason, at);
              voidOutstandingTokens(tx, user.id, at);
              break;
            case 'MAGIC_LINK':
              if (user.emailVerifiedAt === null) tx.update(users).set({ emailVerifiedAt: at, updatedAt: at }).where(eq(users.id, user.id)).run();
              tx.insert(sessions).values({ userAgent: null, ip: null, csrfTokenHash: null, ...action.session }).run();
              tx.insert(refreshTokens).values({ ...action.refreshToken, sessionId: action.session.id }).run();
              writeAudit(at, action.sessionAudit);
              break;
            case 'CHANGE_EMAIL':
              tx.update(users).set({ email: token.email, emailVerifiedAt: at, updatedAt: at }).where(eq(users.id, user.id)).run();
              voidOutstandingTokens(tx, user.id, at);
              break;
          }
          writeAudit(at, { ...audit, detail: { ...audit.detail, ...(action.kind === 'RESET_PASSWORD' ? { sessionsEnded } : {}) } });
          const updated = tx.select().from(users).where(eq(users.id, user.id)).get()!;
          return { kind: 'DONE', user: updated, sessionsEnded };
        },
        { behavior: 'immediate' },
      );
    },
    async markEmailVerified(userId, at, audit) {
      return db.transaction(
        (tx) => {
          const user = tx.select().from(users).where(eq(users.id, userId)).get();
          if (!user) return false;
          if (user.emailVerifiedAt === null) tx.update(users).set({ emailVerifiedAt: at, updatedAt: at }).where(eq(users.id, userId)).run();
          writeAudit(at, audit);
          return true;
        },
        { behavior: 'immediate' },
      );
    },
    async pruneExpired(cutoff) {
      return db.delete(oneTimeTokens).where(lt(oneTimeTokens.expiresAt, cutoff)).run().changes;
    },
  };
}
