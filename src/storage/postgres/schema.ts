import type { Scope } from '../../permissions/scopes';
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, json, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The tables of src/storage/sqlite/schema.ts on PostgreSQL: same table and column names, and the same
 * domain values. Times are `timestamp with time zone` with millisecond precision, read and
 * written as Date objects (a JavaScript Date holds milliseconds, so nothing is rounded);
 * `detail` is `json`, not `jsonb`, so an audit event's keys come back in the order written,
 * as SQLite's text column gives them.
 */
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    /** Null for an account made by social login that never set a password (it can, through the reset flow). */
    passwordHash: text('password_hash'),
    displayName: text('display_name').notNull(),
    role: text('role', { enum: ['USER', 'ADMIN'] }).notNull().default('USER'),
    disabledAt: at('disabled_at'),
    /** When the owner proved the current email address is theirs; null: not verified. */
    emailVerifiedAt: at('email_verified_at'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('users_email_unique').on(t.email),
    index('users_created_at_id_idx').on(t.createdAt, t.id),
    // The last-ADMIN guard counts these rows under lock: an index keeps that count small.
    index('users_active_admins_idx').on(t.id).where(sql`${t.role} = 'ADMIN' AND ${t.disabledAt} IS NULL`),
    check('users_role_check', sql`${t.role} IN ('USER', 'ADMIN')`),
  ],
);

/** One login on one device: the family of refresh tokens that rotate from it. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: at('created_at').notNull(),
    lastUsedAt: at('last_used_at').notNull(),
    /** Idle expiry: slides forward on each rotation, never past maxExpiresAt. */
    expiresAt: at('expires_at').notNull(),
    /** Absolute expiry: no refresh extends a session past it. */
    maxExpiresAt: at('max_expires_at').notNull(),
    revokedAt: at('revoked_at'),
    revokedReason: text('revoked_reason'),
    userAgent: text('user_agent'),
    ip: text('ip'),
    /** HMAC of the CSRF token issued with a cookie-mode session; null in body mode. */
    csrfTokenHash: text('csrf_token_hash'),
    /** The scopes this session's tokens carry (JSON array); null: everything the role allows. A device session holds its approved scopes. */
    scopes: json('scopes').$type<Scope[]>(),
    /** The OAuth client (OAUTH_DEVICE_CLIENTS) that started a device session; null for a login. */
    clientId: text('client_id'),
  },
  // The prune filters on both expiries.
  (t) => [index('sessions_user_id_idx').on(t.userId), index('sessions_expires_at_idx').on(t.expiresAt), index('sessions_revoked_at_idx').on(t.revokedAt)],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** SHA-256 of the token; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    rotatedAt: at('rotated_at'),
    /** Random input of the successor's derivation; lets a grace-window retry get the same successor back. */
    rotationNonce: text('rotation_nonce'),
    replacedBy: text('replaced_by'),
  },
  (t) => [
    uniqueIndex('refresh_tokens_token_hash_unique').on(t.tokenHash),
    index('refresh_tokens_session_id_idx').on(t.sessionId),
    // pruneExpired deletes by expiry; SQLite scans, PostgreSQL shared by many instances should not.
    index('refresh_tokens_expires_at_idx').on(t.expiresAt),
  ],
);

/** src/storage/sqlite/schema.ts's device_authorizations: RFC 8628 requests, codes hashed. */
export const deviceAuthorizations = pgTable(
  'device_authorizations',
  {
    id: text('id').primaryKey(),
    deviceCodeHash: text('device_code_hash').notNull(),
    userCodeHash: text('user_code_hash').notNull(),
    clientId: text('client_id').notNull(),
    scopes: json('scopes').$type<string[]>(),
    status: text('status', { enum: ['pending', 'approved', 'denied', 'consumed'] }).notNull(),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    grantedScopes: json('granted_scopes').$type<string[]>(),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    intervalSeconds: integer('interval_seconds').notNull(),
    lastPolledAt: at('last_polled_at'),
    decidedAt: at('decided_at'),
    sessionId: text('session_id'),
  },
  (t) => [
    uniqueIndex('device_authorizations_device_code_hash_unique').on(t.deviceCodeHash),
    uniqueIndex('device_authorizations_user_code_hash_unique').on(t.userCodeHash),
    index('device_authorizations_expires_at_idx').on(t.expiresAt),
    check('device_authorizations_status_check', sql`${t.status} IN ('pending', 'approved', 'denied', 'consumed')`),
  ],
);

/** Personal access tokens: only a hash of each token is kept. Scopes are space-separated (RFC 6749 §3.3). */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    scopes: text('scopes').notNull(),
    /** SHA-256 of the token; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    prefix: text('prefix').notNull(),
    createdAt: at('created_at').notNull(),
    lastUsedAt: at('last_used_at'),
    expiresAt: at('expires_at'),
    revokedAt: at('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_token_hash_unique').on(t.tokenHash), index('api_tokens_user_id_idx').on(t.userId)],
);

/** A social-login attempt (see src/storage/sqlite/schema.ts): state hashed, PKCE verifier sealed, single use. */
export const oauthStates = pgTable(
  'oauth_states',
  {
    stateHash: text('state_hash').primaryKey(),
    provider: text('provider').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    codeVerifierSealed: text('code_verifier_sealed').notNull(),
    nonce: text('nonce'),
    purpose: text('purpose', { enum: ['LOGIN', 'LINK'] }).notNull(),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    consumedAt: at('consumed_at'),
  },
  (t) => [index('oauth_states_expires_at_idx').on(t.expiresAt), check('oauth_states_purpose_check', sql`${t.purpose} IN ('LOGIN', 'LINK')`)],
);
/** A provider's account linked to ours, unique by (provider, subject). */
export const identities = pgTable(
  'identities',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    email: text('email'),
    emailVerified: boolean('email_verified').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [uniqueIndex('identities_provider_subject_unique').on(t.provider, t.subject), index('identities_user_id_idx').on(t.userId)],
);

export const signingKeys = pgTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    alg: text('alg').notNull(),
    /** Public key as a JWK (JSON text, as stored on SQLite). */
    publicJwk: text('public_jwk').notNull(),
    /** PKCS#8 DER private key, AES-256-GCM encrypted with a key derived from KEYCARD_SECRET. */
    privateKeyEncrypted: text('private_key_encrypted').notNull(),
    createdAt: at('created_at').notNull(),
    activatesAt: at('activates_at').notNull(),
    retiredAt: at('retired_at'),
  },
  (t) => [index('signing_keys_created_at_idx').on(t.createdAt)],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    at: at('at').notNull(),
    type: text('type').notNull(),
    userId: text('user_id'),
    actorId: text('actor_id'),
    sessionId: text('session_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    detail: json('detail').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_events_at_idx').on(t.at), index('audit_events_user_id_at_idx').on(t.userId, t.at)],
);

/**
 * rate-limiter-flexible's RateLimiterPostgres table, created here rather than by the library
 * (which creates it lazily and refuses calls until then). Its insert names no columns, so the
 * order is the library's: key, points, expire (epoch milliseconds). `key` is text, not the
 * library's varchar(255): a key holds an email address, which SQLite's TEXT does not bound either.
 */
export const rateLimits = pgTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    points: integer('points').notNull().default(0),
    expire: bigint('expire', { mode: 'number' }),
  },
  (t) => [index('rate_limits_expire_idx').on(t.expire)],
);

/** Mailed one-time tokens, as on SQLite: only HMACs of the link token and of the code. */
export const oneTimeTokens = pgTable(
  'one_time_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['VERIFY_EMAIL', 'RESET_PASSWORD', 'MAGIC_LINK', 'CHANGE_EMAIL'] }).notNull(),
    /** The address the mail went to (the new one for CHANGE_EMAIL). */
    email: text('email').notNull(),
    linkHash: text('link_hash').notNull(),
    codeHash: text('code_hash').notNull(),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    usedAt: at('used_at'),
    invalidatedAt: at('invalidated_at'),
  },
  (t) => [
    uniqueIndex('one_time_tokens_link_hash_unique').on(t.linkHash),
    index('one_time_tokens_purpose_email_idx').on(t.purpose, t.email),
    index('one_time_tokens_user_id_idx').on(t.userId),
    index('one_time_tokens_expires_at_idx').on(t.expiresAt),
  ],
);

/** The columns of a UserListRow, in the order of src/storage/sqlite/schema.ts's userListColumns. */
export const userListColumns = {
  id: users.id,
  email: users.email,
  displayName: users.displayName,
  role: users.role,
  disabledAt: users.disabledAt,
  emailVerifiedAt: users.emailVerifiedAt,
  createdAt: users.createdAt,
};
