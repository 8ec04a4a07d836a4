import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Role } from '../auth/access-token';
import { insertAuditEvent } from '../audit/audit.repository';
import type { AuditEventInput } from '../audit/audit-event';
import type { Db } from '../db/client';
import { users, type UserRow } from '../db/schema';

export class EmailTakenError extends Error {
  constructor() {
    super('email taken');
    this.name = 'EmailTakenError';
  }
}

export interface NewUser {
  id: string;
  email: string;
  passwordHash: string;
  displayName: string;
  role: Role;
  createdAt: Date;
}

export interface UserPageQuery {
  first: number;
  after?: { createdAt: Date; id: string };
}

export interface UserRepository {
  findById(id: string): Promise<UserRow | undefined>;
  findByEmail(normalizedEmail: string): Promise<UserRow | undefined>;
  findManyByIds(ids: readonly string[]): Promise<UserRow[]>;
  /** Inserts the user and its audit event together; EmailTakenError on a duplicate email. */
  create(user: NewUser, audit: AuditEventInput): Promise<UserRow>;
  setRole(id: string, role: Role, at: Date, audit: AuditEventInput): Promise<UserRow | undefined>;
  setPasswordHash(id: string, passwordHash: string, at: Date): Promise<void>;
  page(query: UserPageQuery): Promise<{ rows: UserRow[]; totalCount: number }>;
  countActiveAdmins(): Promise<number>;
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return true;
  }
  return false;
}

export function createUserRepository(db: Db): UserRepository {
  const byId = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare();
  const byEmail = db.select().from(users).where(eq(users.email, sql.placeholder('email'))).prepare();
  const count = db.select({ n: sql<number>`count(*)` }).from(users).prepare();
  const activeAdmins = db
    .select({ n: sql<number>`count(*)` })
    .from(users)
    .where(and(eq(users.role, 'ADMIN'), isNull(users.disabledAt)))
    .prepare();

  return {
    async findById(id) {
      return byId.get({ id });
    },
    async findByEmail(email) {
      return byEmail.get({ email });
    },
    async findManyByIds(ids) {
      if (ids.length === 0) return [];
      return db.select().from(users).where(sql`${users.id} in ${ids}`).all();
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
            insertAuditEvent(tx, user.createdAt, audit);
            return row;
          },
          { behavior: 'immediate' },
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw new EmailTakenError();
        throw error;
      }
    },
    async setRole(id, role, at, audit) {
      return db.transaction(
        (tx) => {
          const row = tx.update(users).set({ role, updatedAt: at }).where(eq(users.id, id)).returning().get();
          if (row) insertAuditEvent(tx, at, audit);
          return row;
        },
        { behavior: 'immediate' },
      );
    },
    async setPasswordHash(id, passwordHash, at) {
      db.update(users).set({ passwordHash, updatedAt: at }).where(eq(users.id, id)).run();
    },
    async page({ first, after }) {
      const cursor = after
        ? or(gt(users.createdAt, after.createdAt), and(eq(users.createdAt, after.createdAt), gt(users.id, after.id)))
        : undefined;
      const rows = db
        .select()
        .from(users)
        .where(cursor)
        .orderBy(asc(users.createdAt), asc(users.id))
        .limit(first + 1)
        .all();
      return { rows, totalCount: count.get()?.n ?? 0 };
    },
    async countActiveAdmins() {
      return activeAdmins.get()?.n ?? 0;
    },
  };
}
