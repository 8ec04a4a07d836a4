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
  },
  (t) => [index('sessions_user_id_idx').on(t.userId), index('sessions_expires_at_idx').on(t.expiresAt)],
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
  (t) => [uniqueIndex('refresh_tokens_token_hash_unique').on(t.tokenHash), index('refresh_tokens_session_id_idx').on(t.sessionId)],
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
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: integer('expire'),
});

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
