import { and, asc, count, eq, gt, isNull, lt } from 'drizzle-orm';
import { IdentityTakenError, type OAuthRepository, type OAuthState } from '../oauth';
import { EmailTakenError } from '../users';
import { inTransaction, writeAudit, type PgDb } from './database';
import { isUniqueViolation, translatingErrors } from './errors';
import { identities, oauthStates, users } from './schema';

function translated(error: unknown): unknown {
  if (isUniqueViolation(error, 'users_email_unique')) return new EmailTakenError();
  if (isUniqueViolation(error, 'identities_provider_subject_unique') || isUniqueViolation(error, 'identities_pkey')) return new IdentityTakenError();
  return error;
}

const toState = ({ consumedAt: _consumed, ...row }: typeof oauthStates.$inferSelect): OAuthState => row;

export function createPostgresOAuthRepository(db: PgDb): OAuthRepository {
  const repository: OAuthRepository = {
    async saveState(state, audit) {
      await inTransaction(db, async (tx) => {
        await tx.insert(oauthStates).values(state);
        await writeAudit(tx, state.createdAt, audit);
      });
    },
    async consumeState(stateHash, at) {
      // One conditional UPDATE: of two concurrent completions, the second finds consumed_at set.
      const [row] = await db
        .update(oauthStates)
        .set({ consumedAt: at })
        .where(and(eq(oauthStates.stateHash, stateHash), isNull(oauthStates.consumedAt), gt(oauthStates.expiresAt, at)))
        .returning();
      return row ? toState(row) : null;
    },
    async deleteExpiredStates(before) {
      const result = await db.delete(oauthStates).where(lt(oauthStates.expiresAt, before));
      return result.rowCount ?? 0;
    },
    async findIdentity(provider, subject) {
      return (await db.select().from(identities).where(and(eq(identities.provider, provider), eq(identities.subject, subject))))[0];
    },
    async findIdentityById(id) {
      return (await db.select().from(identities).where(eq(identities.id, id)))[0];
    },
    async listIdentities(userId) {
      return db.select().from(identities).where(eq(identities.userId, userId)).orderBy(asc(identities.createdAt), asc(identities.id));
    },
    async createUserWithIdentity(user, identity, audit) {
      try {
        return await inTransaction(db, async (tx) => {
          const [created] = await tx
            .insert(users)
            .values({ ...user, updatedAt: user.createdAt })
            .returning();
          const [linked] = await tx.insert(identities).values(identity).returning();
          await writeAudit(tx, user.createdAt, audit);
          return { user: created!, identity: linked! };
        });
      } catch (error) {
        throw translated(error);
      }
    },
    async linkIdentity(identity, audit) {
      try {
        return await inTransaction(db, async (tx) => {
          const [linked] = await tx.insert(identities).values(identity).returning();
          await writeAudit(tx, identity.createdAt, audit);
          return linked!;
        });
      } catch (error) {
        throw translated(error);
      }
    },
    async unlinkIdentity(id, userId, at, audit) {
      return inTransaction(db, async (tx) => {
        // The user's row, locked: two unlinks (or an unlink and a password change) of one
        // account run one after the other, so the count below is the one the delete acts on.
        const [user] = await tx.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId)).for('update');
        const [identity] = await tx.select().from(identities).where(and(eq(identities.id, id), eq(identities.userId, userId)));
        if (!identity) return { kind: 'NOT_FOUND' as const };
        const [linked] = await tx.select({ n: count() }).from(identities).where(eq(identities.userId, userId));
        if (!user || (user.passwordHash === null && (linked?.n ?? 0) <= 1)) return { kind: 'LAST_SIGN_IN_METHOD' as const };
        await tx.delete(identities).where(eq(identities.id, id));
        await writeAudit(tx, at, audit);
        return { kind: 'UNLINKED' as const, identity };
      });
    },
  };
  return translatingErrors(repository);
}
