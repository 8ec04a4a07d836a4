import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Role } from '../../tokens/access-token';
import { EmailTakenError, type DisabledOutcome, type RoleOutcome, type UserListItem, type UserRepository } from '../users';
import { createAuditWriter } from './audit';
import type { Db } from './client';
import { userListColumns, users } from './schema';
import { endLiveSessionsOfUser } from './sessions';
import { voidOutstandingTokens } from './one-time-tokens';

/**
 * The users page reads rows as arrays and names their columns here: drizzle's generic row
 * mapper (a lookup and a decoder call per column) was a fifth of a 100-row page (measured).
 * The order is userListColumns' own, checked once when the repository is built.
 */
const LIST_COLUMN_ORDER = ['id', 'email', 'displayName', 'role', 'disabledAt', 'emailVerifiedAt', 'createdAt'] as const;

function toUserListItem(values: unknown[]): UserListItem {
  const disabledAt = values[4] as number | null;
  const emailVerifiedAt = values[5] as number | null;
  return {
    id: values[0] as string,
    email: values[1] as string,
    displayName: values[2] as string,
    role: values[3] as Role,
    disabledAt: disabledAt === null ? null : new Date(disabledAt),
    emailVerifiedAt: emailVerifiedAt === null ? null : new Date(emailVerifiedAt),
    createdAt: new Date(values[6] as number),
  };
}

export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return true;
  }
  return false;
}

/**
 * Users in SQLite. Writes here do not bump the session check's cache themselves: the adapter
 * wraps this repository so that every method not in USER_READS does (src/storage/invalidation.ts).
 */
export function createUserRepository(db: Db): UserRepository {
  const writeAudit = createAuditWriter(db);
  const byId = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare();
  const byEmail = db.select().from(users).where(eq(users.email, sql.placeholder('email'))).prepare();
  const count = db.select({ n: sql<number>`count(*)` }).from(users).prepare();
  const activeAdmins = db
    .select({ n: sql<number>`count(*)` })
    .from(users)
    .where(and(eq(users.role, 'ADMIN'), isNull(users.disabledAt)))
    .prepare();

  if (Object.keys(userListColumns).join() !== LIST_COLUMN_ORDER.join()) {
    throw new Error(`userListColumns changed order: update LIST_COLUMN_ORDER and toUserListItem (${Object.keys(userListColumns).join()})`);
  }
  // The ADMIN list runs on every page view: prepared once. Raw SQL placeholders take epoch ms.
  const firstPage = db.select(userListColumns).from(users).orderBy(asc(users.createdAt), asc(users.id)).limit(sql.placeholder('limit')).prepare();
  const pageAfter = db
    .select(userListColumns)
    .from(users)
    .where(
      or(
        gt(users.createdAt, sql`${sql.placeholder('at')}`),
        and(eq(users.createdAt, sql`${sql.placeholder('at')}`), gt(users.id, sql.placeholder('id'))),
      ),
    )
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(sql.placeholder('limit'))
    .prepare();

  return {
    async findById(id) {
      return byId.get({ id });
    },
    async findByEmail(email) {
      return byEmail.get({ email });
    },
    async create(user, audit) {
      try {
        return db.transaction(
          (tx) => {
            const row = tx
              .insert(users)
              .values({ ...user, updatedAt: user.createdAt })
              .returning()
              .get();
            writeAudit(user.createdAt, audit);
            return row;
          },
          { behavior: 'immediate' },
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw new EmailTakenError();
        throw error;
      }
    },
    async setRole(id, change) {
      return db.transaction(
        (tx): RoleOutcome => {
          // Read, check and write under one write lock (BEGIN IMMEDIATE): two concurrent
          // demotions of the last two ADMINs cannot both see two of them.
          const user = byId.get({ id });
          if (!user) return { kind: 'NOT_FOUND' };
          if (user.role === change.role) return { kind: 'UNCHANGED', user };
          if (user.role === 'ADMIN' && user.disabledAt === null && (activeAdmins.get()?.n ?? 0) <= 1) return { kind: 'LAST_ACTIVE_ADMIN' };
          const row = tx.update(users).set({ role: change.role, updatedAt: change.at }).where(eq(users.id, id)).returning().get();
          if (!row) return { kind: 'NOT_FOUND' };
          writeAudit(change.at, { ...change.audit, detail: { ...change.audit.detail, from: user.role, to: change.role } });
          return { kind: 'CHANGED', user: row };
        },
        { behavior: 'immediate' },
      );
    },
    async changePassword(id, change) {
      return db.transaction(
        (tx) => {
          const updated = tx
            .update(users)
            .set({ passwordHash: change.passwordHash, updatedAt: change.at })
            .where(and(eq(users.id, id), eq(users.passwordHash, change.expectedPasswordHash)))
            .run();
          if (updated.changes !== 1) return null;
          const sessionsEnded = endLiveSessionsOfUser(tx, id, change.revokeReason, change.at, change.keepSessionId);
          // A mailed reset or magic link must not outlive the password it was asked against.
          voidOutstandingTokens(tx, id, change.at);
          writeAudit(change.at, { ...change.audit, detail: { ...change.audit.detail, sessionsEnded } });
          return { sessionsEnded };
        },
        { behavior: 'immediate' },
      );
    },
    async upgradePasswordHash(id, expectedPasswordHash, passwordHash) {
      // The same password, so no session ends and updatedAt (a change the user made) stays.
      const updated = db
        .update(users)
        .set({ passwordHash })
        .where(and(eq(users.id, id), eq(users.passwordHash, expectedPasswordHash)))
        .run();
      return updated.changes === 1;
    },
    async setDisabled(id, change) {
      return db.transaction(
        (tx): DisabledOutcome => {
          // Prepared statements run on the same connection, so they read inside this transaction.
          const user = byId.get({ id });
          if (!user) return { kind: 'NOT_FOUND' };
          if ((user.disabledAt !== null) === change.disabled) return { kind: 'UNCHANGED', user };
          if (change.disabled && user.role === 'ADMIN' && (activeAdmins.get()?.n ?? 0) <= 1) return { kind: 'LAST_ACTIVE_ADMIN' };
          const row = tx
            .update(users)
            .set({ disabledAt: change.disabled ? change.at : null, updatedAt: change.at })
            .where(eq(users.id, id))
            .returning()
            .get();
          if (!row) return { kind: 'NOT_FOUND' };
          const sessionsEnded = change.disabled ? endLiveSessionsOfUser(tx, id, change.revokeReason, change.at) : 0;
          writeAudit(change.at, { ...change.audit, detail: { ...change.audit.detail, sessionsEnded } });
          return { kind: 'CHANGED', user: row, sessionsEnded };
        },
        { behavior: 'immediate' },
      );
    },
    async page({ first, after }) {
      const values = after
        ? pageAfter.values({ at: after.createdAt.getTime(), id: after.id, limit: first + 1 })
        : firstPage.values({ limit: first + 1 });
      return { rows: values.map(toUserListItem) };
    },
    async count() {
      return count.get()?.n ?? 0;
    },
  };
}
