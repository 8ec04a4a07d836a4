import { and, asc, count, eq, gt, isNull, lt } from 'drizzle-orm';
import { IdentityTakenError, type Identity, type OAuthRepository, type OAuthState } from '../oauth';
import { EmailTakenError } from '../users';
import { createAuditWriter } from './audit';
import type { Db } from './client';
import { identities, oauthStates, users } from './schema';

function uniqueViolation(error: unknown): string | null {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' || (e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return e.message;
  }
  return null;
}

function translated(error: unknown): unknown {
  const message = uniqueViolation(error);
  if (message === null) return error;
  return message.includes('identities.') ? new IdentityTakenError() : new EmailTakenError();
}

const toState = ({ consumedAt: _consumed, ...row }: typeof oauthStates.$inferSelect): OAuthState => row;

export function createOAuthRepository(db: Db): OAuthRepository {
  const writeAudit = createAuditWriter(db);
  return {
    async saveState(state, audit) {
      db.transaction(
        (tx) => {
          tx.insert(oauthStates).values(state).run();
          writeAudit(state.createdAt, audit);
        },
        { behavior: 'immediate' },
      );
    },
    async consumeState(stateHash, at) {
      const row = db
        .update(oauthStates)
        .set({ consumedAt: at })
        .where(and(eq(oauthStates.stateHash, stateHash), isNull(oauthStates.consumedAt), gt(oauthStates.expiresAt, at)))
        .returning()
        .get();
      return row ? toState(row) : null;
    },
    async deleteExpiredStates(before) {
      return db.delete(oauthStates).where(lt(oauthStates.expiresAt, before)).run().changes;
    },
    async findIdentity(provider, subject) {
      return db.select().from(identities).where(and(eq(identities.provider, provider), eq(identities.subject, subject))).get();
    },
    async findIdentityById(id) {
      return db.select().from(identities).where(eq(identities.id, id)).get();
    },
    async listIdentities(userId) {
      return db.select().from(identities).where(eq(identities.userId, userId)).orderBy(asc(identities.createdAt), asc(identities.id)).all();
    },
    async createUserWithIdentity(user, identity, audit) {
      try {
        return db.transaction(
          (tx) => {
            const created = tx
              .insert(users)
              .values({ ...user, updatedAt: user.createdAt })
              .returning()
              .get();
            const linked = tx.insert(identities).values(identity).returning().get();
            writeAudit(user.createdAt, audit);
            return { user: created, identity: linked };
          },
          { behavior: 'immediate' },
        );
      } catch (error) {
        throw translated(error);
      }
    },
    async linkIdentity(identity, audit) {
      try {
        return db.transaction(
          (tx) => {
            const linked = tx.insert(identities).values(identity).returning().get();
            writeAudit(identity.createdAt, audit);
            return linked;
          },
          { behavior: 'immediate' },
        );
      } catch (error) {
        throw translated(error);
      }
    },
    async unlinkIdentity(id, userId, at, audit) {
      // BEGIN IMMEDIATE: two unlinks of an account's last two identities cannot both see two.
      return db.transaction(
        (tx) => {
          const identity = tx.select().from(identities).where(and(eq(identities.id, id), eq(identities.userId, userId))).get();
          if (!identity) return { kind: 'NOT_FOUND' as const };
          const user = tx.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId)).get();
          const linked = tx.select({ n: count() }).from(identities).where(eq(identities.userId, userId)).get()?.n ?? 0;
          if (!user || (user.passwordHash === null && linked <= 1)) return { kind: 'LAST_SIGN_IN_METHOD' as const };
          tx.delete(identities).where(eq(identities.id, id)).run();
          writeAudit(at, audit);
          return { kind: 'UNLINKED' as const, identity };
        },
        { behavior: 'immediate' },
      );
    },
  } satisfies OAuthRepository as OAuthRepository;
}

export type { Identity };
