import { and, asc, count, eq, gt, isNull, ne, or, sql } from 'drizzle-orm';
import {
  EmailTakenError,
  type DisabledOutcome,
  type RoleOutcome,
  type UserRepository,
} from '../users';
import { inTransaction, notifyViewerStateChanged, writeAudit, type PgDb, type PgTx, type PgWriter } from './database';
import { isUniqueViolation, translatingErrors } from './errors';
import { sessions, userListColumns, users } from './schema';
import { voidOutstandingTokens } from './one-time-tokens';

/**
 * Ends every live session of a user, optionally but one; returns how many ended. Used inside the
 * transaction of the account change that calls for it (password, disable), as on SQLite.
 */
export async function endLiveSessionsOfUser(writer: PgWriter, userId: string, reason: string, at: Date, exceptSessionId?: string): Promise<number> {
  const result = await writer
    .update(sessions)
    .set({ revokedAt: at, revokedReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined));
  return result.rowCount ?? 0;
}

/**
 * The target user and every active ADMIN, locked in id order, in one statement.
 *
 * The last-ADMIN guard is a check-then-write: the count it checks must not change before the
 * write commits. Locking the rows the count is made of does that: a concurrent demotion or
 * disable of another ADMIN locks the same rows, so it waits for this transaction, and when it
 * gets them PostgreSQL re-reads each row (READ COMMITTED re-checks the WHERE of a locked row
 * against its newest version), so it counts the ADMINs that are left. Taking every lock in one
 * statement, in id order, is what keeps two such transactions from deadlocking: neither can
 * hold a row the other needs before all of its own. A user promoted meanwhile is not counted,
 * which errs towards refusing, never towards leaving no ADMIN.
 *
 * FOR NO KEY UPDATE, the lock an UPDATE of these rows takes anyway: it conflicts with every
 * other writer of them, but not with the FOR KEY SHARE lock that inserting a session (its
 * foreign key) takes, so a login of one of these users does not wait for the check.
 */
async function lockUserAndActiveAdmins(tx: PgTx, id: string) {
  const rows = await tx
    .select()
    .from(users)
    .where(or(eq(users.id, id), and(eq(users.role, 'ADMIN'), isNull(users.disabledAt))))
    .orderBy(asc(users.id))
    .for('no key update');
  return {
    user: rows.find((row) => row.id === id),
    activeAdmins: rows.filter((row) => row.role === 'ADMIN' && row.disabledAt === null).length,
  };
}

export function createPostgresUserRepository(db: PgDb): UserRepository {
  const byId = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare('kc_user_by_id');
  const byEmail = db.select().from(users).where(eq(users.email, sql.placeholder('email'))).prepare('kc_user_by_email');

  return translatingErrors<UserRepository>({
    async findById(id) {
      return (await byId.execute({ id }))[0];
    },
    async findByEmail(email) {
      return (await byEmail.execute({ email }))[0];
    },
    async create(user, audit) {
      try {
        return await inTransaction(db, async (tx) => {
          const [row] = await tx
            .insert(users)
            .values({ ...user, updatedAt: user.createdAt })
            .returning();
          await writeAudit(tx, user.createdAt, audit);
          return row!;
        });
      } catch (error) {
        if (isUniqueViolation(error, 'users_email_unique')) throw new EmailTakenError();
        throw error;
      }
    },
    async setRole(id, change) {
      return inTransaction(db, async (tx): Promise<RoleOutcome> => {
        const { user, activeAdmins } = await lockUserAndActiveAdmins(tx, id);
        if (!user) return { kind: 'NOT_FOUND' };
        if (user.role === change.role) return { kind: 'UNCHANGED', user };
        if (user.role === 'ADMIN' && user.disabledAt === null && activeAdmins <= 1) return { kind: 'LAST_ACTIVE_ADMIN' };
        const [row] = await tx.update(users).set({ role: change.role, updatedAt: change.at }).where(eq(users.id, id)).returning();
        if (!row) return { kind: 'NOT_FOUND' };
        await writeAudit(tx, change.at, { ...change.audit, detail: { ...change.audit.detail, from: user.role, to: change.role } });
        await notifyViewerStateChanged(tx, `user:${id}`);
        return { kind: 'CHANGED', user: row };
      });
    },
    async changePassword(id, change) {
      return inTransaction(db, async (tx) => {
        // Guarded by the hash the caller verified: a concurrent change waits for this row's
        // lock, then finds the hash moved on and updates nothing.
        const updated = await tx
          .update(users)
          .set({ passwordHash: change.passwordHash, updatedAt: change.at })
          .where(and(eq(users.id, id), eq(users.passwordHash, change.expectedPasswordHash)));
        if (updated.rowCount !== 1) return null;
        const sessionsEnded = await endLiveSessionsOfUser(tx, id, change.revokeReason, change.at, change.keepSessionId);
        // A mailed reset or magic link must not outlive the password it was asked against.
        await voidOutstandingTokens(tx, id, change.at);
        await writeAudit(tx, change.at, { ...change.audit, detail: { ...change.audit.detail, sessionsEnded } });
        await notifyViewerStateChanged(tx, `user:${id}`);
        return { sessionsEnded };
      });
    },
    async upgradePasswordHash(id, expectedPasswordHash, passwordHash) {
      // The same password, so no session ends and updatedAt (a change the user made) stays.
      const updated = await db
        .update(users)
        .set({ passwordHash })
        .where(and(eq(users.id, id), eq(users.passwordHash, expectedPasswordHash)));
      return updated.rowCount === 1;
    },
    async setDisabled(id, change) {
      return inTransaction(db, async (tx): Promise<DisabledOutcome> => {
        const { user, activeAdmins } = await lockUserAndActiveAdmins(tx, id);
        if (!user) return { kind: 'NOT_FOUND' };
        if ((user.disabledAt !== null) === change.disabled) return { kind: 'UNCHANGED', user };
        if (change.disabled && user.role === 'ADMIN' && activeAdmins <= 1) return { kind: 'LAST_ACTIVE_ADMIN' };
        const [row] = await tx
          .update(users)
          .set({ disabledAt: change.disabled ? change.at : null, updatedAt: change.at })
          .where(eq(users.id, id))
          .returning();
        if (!row) return { kind: 'NOT_FOUND' };
        const sessionsEnded = change.disabled ? await endLiveSessionsOfUser(tx, id, change.revokeReason, change.at) : 0;
        await writeAudit(tx, change.at, { ...change.audit, detail: { ...change.audit.detail, sessionsEnded } });
        await notifyViewerStateChanged(tx, `user:${id}`);
        return { kind: 'CHANGED', user: row, sessionsEnded };
      });
    },
    async page({ first, after }) {
      const cursor = after ? or(gt(users.createdAt, after.createdAt), and(eq(users.createdAt, after.createdAt), gt(users.id, after.id))) : undefined;
      const rows = await db
        .select(userListColumns)
        .from(users)
        .where(cursor)
        .orderBy(asc(users.createdAt), asc(users.id))
        .limit(first + 1);
      return { rows };
    },
    async count() {
      return (await db.select({ n: count() }).from(users))[0]?.n ?? 0;
    },
  });
}
