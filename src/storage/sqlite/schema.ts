import type { Scope } from '../../permissions/scopes';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

// Times are integer milliseconds since the epoch (mode 'timestamp_ms' gives Date objects).

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    /** Null for an account made by social login that never set a password (it can, through the reset flow). */
    passwordHash: text('password_hash'),
    displayName: text('display_name').notNull(),
    role: text('role', { enum: ['USER', 'ADMIN'] }).notNull().default('USER'),
    disabledAt: integer('disabled_at', { mode: 'timestamp_ms' }),
    /** When the owner proved the current email address is theirs; null: not verified. */
    emailVerifiedAt: integer('email_verified_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('users_email_unique').on(t.email), index('users_created_at_id_idx').on(t.createdAt, t.id)],
);

/** One login on one device: the family of refresh tokens that rotate from it. */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }).notNull(),
    /** Idle expiry: slides forward on each rotation, never past maxExpiresAt. */
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    /** Absolute expiry: no refresh extends a session past it. */
    maxExpiresAt: integer('max_expires_at', { mode: 'timestamp_ms' }).notNull(),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
    revokedReason: text('revoked_reason'),
    userAgent: text('user_agent'),
    ip: text('ip'),
    /** HMAC of the CSRF token issued with a cookie-mode session; null in body mode. */
    csrfTokenHash: text('csrf_token_hash'),
    /** The scopes this session's tokens carry (JSON array); null: everything the role allows. A device session holds its approved scopes. */
    scopes: text('scopes', { mode: 'json' }).$type<Scope[]>(),
    /** The OAuth client (OAUTH_DEVICE_CLIENTS) that started a device session; null for a login. */
    clientId: text('client_id'),
  },
  // The prune filters on both expiries: without an index each of its batches scanned the table.
  (t) => [index('sessions_user_id_idx').on(t.userId), index('sessions_expires_at_idx').on(t.expiresAt), index('sessions_revoked_at_idx').on(t.revokedAt)],
);

export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** SHA-256 of the token; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    rotatedAt: integer('rotated_at', { mode: 'timestamp_ms' }),
    /** Random input of the successor's derivation; lets a grace-window retry get the same successor back. */
    rotationNonce: text('rotation_nonce'),
    replacedBy: text('replaced_by'),
  },
  (t) => [
    uniqueIndex('refresh_tokens_token_hash_unique').on(t.tokenHash),
    index('refresh_tokens_session_id_idx').on(t.sessionId),
    // What the prune deletes by (500k expired tokens took a ~6 s full scan without it).
    index('refresh_tokens_expires_at_idx').on(t.expiresAt),
  ],
);

/**
 * One device authorization request (RFC 8628 §3.1): both codes are kept only as SHA-256 hashes.
 * `status` moves pending -> approved | denied, approved -> consumed (one conditional update each).
 */
export const deviceAuthorizations = sqliteTable(
  'device_authorizations',
  {
    id: text('id').primaryKey(),
    deviceCodeHash: text('device_code_hash').notNull(),
    userCodeHash: text('user_code_hash').notNull(),
    clientId: text('client_id').notNull(),
    /** Requested scopes (JSON array); null: the client asked for none, so everything the approver's role allows. */
    scopes: text('scopes', { mode: 'json' }).$type<string[]>(),
    status: text('status', { enum: ['pending', 'approved', 'denied', 'consumed'] }).notNull(),
    /** Who approved or denied. */
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** What approval granted: the requested scopes within the approver's role. */
    grantedScopes: text('granted_scopes', { mode: 'json' }).$type<string[]>(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    /** The polling interval the device must keep, in seconds; each slow_down adds 5 (RFC 8628 §3.5). */
    intervalSeconds: integer('interval_seconds').notNull(),
    lastPolledAt: integer('last_polled_at', { mode: 'timestamp_ms' }),
    decidedAt: integer('decided_at', { mode: 'timestamp_ms' }),
    /** The session its tokens started, once consumed. */
    sessionId: text('session_id'),
  },
  (t) => [
    uniqueIndex('device_authorizations_device_code_hash_unique').on(t.deviceCodeHash),
    uniqueIndex('device_authorizations_user_code_hash_unique').on(t.userCodeHash),
    index('device_authorizations_expires_at_idx').on(t.expiresAt),
  ],
);

/** Personal access tokens: only a hash of each token is kept. Scopes are space-separated (RFC 6749 §3.3). */
export const apiTokens = sqliteTable(
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
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  },
  (t) => [uniqueIndex('api_tokens_token_hash_unique').on(t.tokenHash), index('api_tokens_user_id_idx').on(t.userId)],
);

export const signingKeys = sqliteTable('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  /** Public key as a JWK (JSON). */
  publicJwk: text('public_jwk').notNull(),
  /** PKCS#8 DER private key, AES-256-GCM encrypted with a key derived from KEYCARD_SECRET. */
  privateKeyEncrypted: text('private_key_encrypted').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  activatesAt: integer('activates_at', { mode: 'timestamp_ms' }).notNull(),
  retiredAt: integer('retired_at', { mode: 'timestamp_ms' }),
});

export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    type: text('type').notNull(),
    userId: text('user_id'),
    actorId: text('actor_id'),
    sessionId: text('session_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_events_at_idx').on(t.at), index('audit_events_user_id_at_idx').on(t.userId, t.at)],
);

/**
 * rate-limiter-flexible's table (RateLimiterSQLite, told `tableCreated: true`), in the shape the
 * library would create: key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER
 * (epoch ms, null for a counter that never expires). Its migration says IF NOT EXISTS: before
 * it existed, the code created this table at start (src/storage/sqlite/rate-limits.ts).
 */
export const rateLimits = sqliteTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    points: integer('points').notNull().default(0),
    expire: integer('expire'),
  },
  // clearExpired deletes by expiry (as on PostgreSQL).
  (t) => [index('rate_limits_expire_idx').on(t.expire)],
);

/**
 * A social-login attempt between startOAuthLogin and its completion (src/oauth/). The state is
 * kept only as its SHA-256; the PKCE verifier sealed with a key derived from KEYCARD_SECRET.
 * Single use: `consumedAt` is set by the one UPDATE that may succeed.
 */
export const oauthStates = sqliteTable(
  'oauth_states',
  {
    stateHash: text('state_hash').primaryKey(),
    provider: text('provider').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    codeVerifierSealed: text('code_verifier_sealed').notNull(),
    /** OIDC only; null for GitHub. Not a secret once the ID token is issued (it is in it). */
    nonce: text('nonce'),
    purpose: text('purpose', { enum: ['LOGIN', 'LINK'] }).notNull(),
    /** LINK: the signed-in user the identity will be linked to. */
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    consumedAt: integer('consumed_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('oauth_states_expires_at_idx').on(t.expiresAt)],
);

/** A provider's account linked to ours: (provider, subject) is who the person is at the provider. */
export const identities = sqliteTable(
  'identities',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    email: text('email'),
    emailVerified: integer('email_verified', { mode: 'boolean' }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('identities_provider_subject_unique').on(t.provider, t.subject), index('identities_user_id_idx').on(t.userId)],
);

/** The columns of a UserListItem, for queries that select them. */
export const userListColumns = {
  id: users.id,
  email: users.email,
  displayName: users.displayName,
  role: users.role,
  disabledAt: users.disabledAt,
  emailVerifiedAt: users.emailVerifiedAt,
  createdAt: users.createdAt,
};

/**
 * Mailed one-time tokens (verification, reset, magic link, email change): only HMACs of the
 * link token and of the code are kept (src/tokens/one-time-token.ts), never either in clear.
 */
export const oneTimeTokens = sqliteTable(
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
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
    invalidatedAt: integer('invalidated_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    uniqueIndex('one_time_tokens_link_hash_unique').on(t.linkHash),
    index('one_time_tokens_purpose_email_idx').on(t.purpose, t.email),
    index('one_time_tokens_user_id_idx').on(t.userId),
    index('one_time_tokens_expires_at_idx').on(t.expiresAt),
  ],
);
