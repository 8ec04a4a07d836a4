import type { Role } from '../tokens/access-token';
import type { AuditEventInput } from '../audit/audit-event';

/** An account as stored. */
export interface User {
  id: string;
  email: string;
  /** Null: the account signs in only through a provider (social login) until it sets a password by the reset flow. */
  passwordHash: string | null;
  displayName: string;
  role: Role;
  disabledAt: Date | null;
  /** When the owner proved that `email` is theirs (a mailed link or code, a provider's verified email); null: never. */
  emailVerifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A user without the fields no reader of a list needs (the password hash above all). */
export type UserListItem = Omit<User, 'passwordHash' | 'updatedAt'>;

export class EmailTakenError extends Error {
  constructor() {
    super('email taken');
    this.name = 'EmailTakenError';
  }
}

export interface NewUser {
  id: string;
  email: string;
  /** Null for an account created by social login. */
  passwordHash: string | null;
  displayName: string;
  role: Role;
  createdAt: Date;
  /** Set when the address is already proven (e.g. a provider's verified email); default: not verified. */
  emailVerifiedAt?: Date | null;
}

export interface UserPageQuery {
  first: number;
  after?: { createdAt: Date; id: string };
}

export interface PasswordChange {
  /** The hash the caller verified against: a concurrent change in between makes this one fail. */
  expectedPasswordHash: string;
  passwordHash: string;
  at: Date;
  /** The session that made the change stays; every other session of the user ends. */
  keepSessionId: string;
  revokeReason: string;
  audit: AuditEventInput;
}

export interface DisabledChange {
  disabled: boolean;
  at: Date;
  /** Why the user's sessions end when disabling. */
  revokeReason: string;
  audit: AuditEventInput;
}

export interface RoleChange {
  role: Role;
  at: Date;
  /** Written with `detail.from` and `detail.to` read inside the transaction. */
  audit: AuditEventInput;
}

export type RoleOutcome =
  | { kind: 'CHANGED'; user: User }
  | { kind: 'UNCHANGED'; user: User }
  | { kind: 'NOT_FOUND' }
  | { kind: 'LAST_ACTIVE_ADMIN' };

export type DisabledOutcome =
  | { kind: 'CHANGED'; user: User; sessionsEnded: number }
  | { kind: 'UNCHANGED'; user: User }
  | { kind: 'NOT_FOUND' }
  | { kind: 'LAST_ACTIVE_ADMIN' };

export interface UserRepository {
  findById(id: string): Promise<User | undefined>;
  findByEmail(normalizedEmail: string): Promise<User | undefined>;
  /** Inserts the user and its audit event together; EmailTakenError on a duplicate email. */
  create(user: NewUser, audit: AuditEventInput): Promise<User>;
  /**
   * Changes a role with its audit event, in one transaction. The last active ADMIN is never
   * demoted: the check and the write cannot interleave with another demotion.
   */
  setRole(id: string, change: RoleChange): Promise<RoleOutcome>;
  /** New hash, every other session ended and the audit event, in one transaction; null if the hash moved on meanwhile. */
  changePassword(id: string, change: PasswordChange): Promise<{ sessionsEnded: number } | null>;
  /** Replaces a hash made with old parameters by one of the same password; false if the hash moved on meanwhile. */
  upgradePasswordHash(id: string, expectedPasswordHash: string, passwordHash: string): Promise<boolean>;
  /**
   * Disables (ending every session) or re-enables a user with its audit event, in one transaction.
   * The last active ADMIN is never disabled: the check and the write cannot interleave with another.
   */
  setDisabled(id: string, change: DisabledChange): Promise<DisabledOutcome>;
  /** Up to `first + 1` users, oldest first: the extra one tells whether another page follows. */
  page(query: UserPageQuery): Promise<{ rows: UserListItem[] }>;
  count(): Promise<number>;
}

/**
 * The methods of UserRepository that never write. Every other method, a method added later
 * included, invalidates the session check's cache (src/storage/invalidation.ts).
 */
export const USER_READS = ['findById', 'findByEmail', 'page', 'count'] as const satisfies readonly (keyof UserRepository)[];

/**
 * Writes that cannot change a viewer state the cache may hold, so they leave it valid: `create`
 * makes a user who has no session yet; `upgradePasswordHash` replaces a hash by one of the same
 * password, and a viewer state carries no hash. test/storage/invalidation.test.ts proves each
 * keeps every cached state equal to a fresh read. Anything not listed here or in USER_READS
 * invalidates.
 */
export const USER_WRITES_KEEPING_VIEWER_STATES = ['create', 'upgradePasswordHash'] as const satisfies readonly (keyof UserRepository)[];
