import ms from 'ms';
import { z } from 'zod';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './auth/signing-keys';
import type { RateLimitSettings } from './abuse/rate-limits';

/**
 * The one place that reads the environment. Everything else receives a frozen Config.
 * A bad value stops start-up with one line that names the variable (contract.md, "Running it").
 */

export const DEV_SECRET = 'keycard-development-secret-do-not-use-in-production-0123456789';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const duration = (min: number) =>
  z.string().transform((value, ctx) => {
    const parsed = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : ms(value.trim() as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < min) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 15m, 14d or 30s (at least ${min / 1000}s), got "${value}"` });
      return z.NEVER;
    }
    return parsed;
  });

const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''].includes(v), 'expected true or false')
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const POSTGRES_URL = /^postgres(ql)?:\/\/.+/;

/** Which storage adapter DATABASE_URL names (src/storage/storage.ts). */
export type DatabaseDialect = 'sqlite' | 'postgres';

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .refine((v) => v === ':memory:' || /^file:.+/.test(v) || POSTGRES_URL.test(v), 'expected file:<path>, :memory: or postgres://...')
    .default('file:data/keycard.db'),
  ACCESS_TOKEN_TTL: duration(1000).prefault('15m'),
  REFRESH_TOKEN_TTL: duration(1000).prefault('14d'),
  SESSION_MAX_AGE: duration(1000).prefault('90d'),
  REFRESH_REUSE_GRACE: duration(0).prefault('10s'),
  CLOCK_TOLERANCE: duration(0).prefault('5s'),
  JWT_ISSUER: z.string().min(1).default('keycard'),
  JWT_AUDIENCE: z.string().min(1).default('keycard-api'),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  KEYCARD_SECRET: z.string().optional(),
  TRUST_PROXY: z
    .string()
    .trim()
    .toLowerCase()
    .default('off')
    .transform((v, ctx) => {
      if (['off', 'false', '0', ''].includes(v)) return 0;
      const hops = Number(v);
      if (!Number.isInteger(hops) || hops < 0 || hops > 10) {
        ctx.addIssue({ code: 'custom', message: `expected off or a number of proxy hops (1-10), got "${v}"` });
        return z.NEVER;
      }
      return hops;
    }),
  SANDBOX_ENABLED: flag.optional(),
  INTROSPECTION_ENABLED: flag.optional(),
  BODY_LIMIT: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(100 * 1024),
  ARGON2_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  // Abuse limits (security.md #24, #26): attempts per RATE_LIMIT_WINDOW, per account or client IP.
  LOGIN_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).max(100_000).default(5),
  LOGIN_LIMIT_PER_IP: z.coerce.number().int().min(1).max(100_000).default(20),
  SIGNUP_LIMIT_PER_IP: z.coerce.number().int().min(1).max(100_000).default(10),
  REFRESH_LIMIT_PER_IP: z.coerce.number().int().min(1).max(100_000).default(60),
  RATE_LIMIT_WINDOW: duration(1000).prefault('15m'),
  LOGIN_BLOCK_MAX: duration(1000).prefault('1h'),
  TLS_CERT_FILE: z.string().trim().min(1).optional(),
  TLS_KEY_FILE: z.string().trim().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // setInterval fires at once for a delay over 2^31-1 ms (~24.8 days): refuse it rather than prune in a loop.
  PRUNE_INTERVAL: duration(1000)
    .refine((v) => v <= MAX_TIMER_DELAY_MS, 'must be at most 24d')
    .prefault('1h'),
  AUDIT_RETENTION: duration(1000).prefault('90d'),
  JWT_ALG: z.enum(SIGNING_ALGORITHMS).default('ES256'),
  KEYS_RELOAD_INTERVAL: duration(1000)
    .refine((v) => v <= MAX_TIMER_DELAY_MS, 'must be at most 24d')
    .prefault('30s'),
  // Rotating more often than hourly only grows the JWKS: each key stays published for
  // ACCESS_TOKEN_TTL after the next one takes over.
  KEY_ROTATION_INTERVAL: z
    .string()
    .trim()
    .toLowerCase()
    .default('off')
    .transform((value, ctx) => {
      if (['off', 'false', '0'].includes(value)) return null;
      const parsed = duration(60 * 60 * 1000).safeParse(value);
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: `expected off or ${parsed.error.issues[0]!.message.replace(/^expected /, '')}` });
        return z.NEVER;
      }
      return parsed.data;
    }),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  /** DATABASE_URL as given. */
  readonly databaseUrl: string;
  readonly databaseDialect: DatabaseDialect;
  /** SQLite: a filesystem path, or ':memory:'; null for PostgreSQL. */
  readonly databasePath: string | null;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly sessionMaxAgeMs: number;
  readonly refreshReuseGraceMs: number;
  readonly clockToleranceMs: number;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly corsOrigins: readonly string[];
  /** At least 32 bytes; the root of every key derived by src/auth/secret-keys.ts. */
  readonly secret: Buffer;
  readonly usingDevSecret: boolean;
  readonly trustProxyHops: number;
  readonly sandboxEnabled: boolean;
  readonly introspectionEnabled: boolean;
  readonly bodyLimitBytes: number;
  /** Password hashes in flight at once; unset: one per core (src/auth/password.ts). */
  readonly argon2Concurrency: number | undefined;
  readonly logLevel: string;
  /** Abuse limits: attempts per window, per account or client IP; login blocks grow up to loginMaxBlockMs. */
  readonly rateLimits: Readonly<RateLimitSettings>;
  /** Native HTTPS from PEM files read at start-up; null = plain HTTP (TLS ends at a proxy). */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** How often the server deletes expired sessions, tokens and old audit events. */
  readonly pruneIntervalMs: number;
  /** Audit events older than this are deleted by pruning. */
  readonly auditRetentionMs: number;
  /** Algorithm of signing keys created from now on; existing keys keep theirs until they retire. */
  readonly jwtAlgorithm: SigningAlgorithm;
  /** How often a running server re-reads the signing keys, so a rotation needs no restart. */
  readonly keysReloadIntervalMs: number;
  /** Automatic signing key rotation period; null = only `keys:rotate`. */
  readonly keyRotationIntervalMs: number | null;
}

/** Hex (64+ digits) or base64 (decoding to 32+ bytes). Anything else is refused, not guessed. */
function decodeSecret(raw: string): Buffer | null {
  const value = raw.trim();
  if (/^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return null;
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings in a .env file mean "not set", as most users expect.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(variable, issue.message);
  }
  const e = result.data;
  const production = e.NODE_ENV === 'production';

  let secret: Buffer;
  let usingDevSecret = false;
  if (e.KEYCARD_SECRET === undefined) {
    if (production) {
      throw new ConfigError('KEYCARD_SECRET', 'required in production: set it to at least 32 random bytes, hex or base64 (e.g. `openssl rand -hex 32`)');
    }
    secret = Buffer.from(DEV_SECRET, 'utf8');
    usingDevSecret = true;
  } else {
    const decoded = decodeSecret(e.KEYCARD_SECRET);
    if (!decoded) throw new ConfigError('KEYCARD_SECRET', 'must be hex or base64');
    if (decoded.length < 32) throw new ConfigError('KEYCARD_SECRET', `must be at least 32 bytes, got ${decoded.length}`);
    if (e.KEYCARD_SECRET.trim() === DEV_SECRET || new Set(decoded).size < 8) {
      throw new ConfigError('KEYCARD_SECRET', 'is a default or low-entropy value: generate one with `openssl rand -hex 32`');
    }
    secret = decoded;
  }

  if (production && e.CORS_ORIGINS.includes('*')) {
    throw new ConfigError('CORS_ORIGINS', '"*" cannot be combined with credentials: list the allowed origins');
  }
  for (const origin of e.CORS_ORIGINS) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError('CORS_ORIGINS', `"${origin}" is not an origin (scheme://host[:port], no path)`);
    }
  }
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    const missing = e.TLS_CERT_FILE === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE';
    throw new ConfigError(missing, 'TLS_CERT_FILE and TLS_KEY_FILE go together: set both, or neither');
  }
  if (e.LOGIN_BLOCK_MAX < e.RATE_LIMIT_WINDOW) {
    throw new ConfigError('LOGIN_BLOCK_MAX', 'must not be shorter than RATE_LIMIT_WINDOW (the first block lasts one window)');
  }
  if (e.REFRESH_TOKEN_TTL > e.SESSION_MAX_AGE) {
    throw new ConfigError('REFRESH_TOKEN_TTL', 'must not be longer than SESSION_MAX_AGE');
  }
  if (e.ACCESS_TOKEN_TTL > e.REFRESH_TOKEN_TTL) {
    throw new ConfigError('ACCESS_TOKEN_TTL', 'must not be longer than REFRESH_TOKEN_TTL');
  }

  return Object.freeze({
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseDialect: POSTGRES_URL.test(e.DATABASE_URL) ? 'postgres' : 'sqlite',
    databasePath: POSTGRES_URL.test(e.DATABASE_URL) ? null : e.DATABASE_URL === ':memory:' ? ':memory:' : e.DATABASE_URL.slice('file:'.length),
    accessTokenTtlMs: e.ACCESS_TOKEN_TTL,
    refreshTokenTtlMs: e.REFRESH_TOKEN_TTL,
    sessionMaxAgeMs: e.SESSION_MAX_AGE,
    refreshReuseGraceMs: e.REFRESH_REUSE_GRACE,
    clockToleranceMs: e.CLOCK_TOLERANCE,
    jwtIssuer: e.JWT_ISSUER,
    jwtAudience: e.JWT_AUDIENCE,
    corsOrigins: Object.freeze([...e.CORS_ORIGINS]),
    secret,
    usingDevSecret,
    trustProxyHops: e.TRUST_PROXY,
    sandboxEnabled: e.SANDBOX_ENABLED ?? !production,
    introspectionEnabled: e.INTROSPECTION_ENABLED ?? !production,
    bodyLimitBytes: e.BODY_LIMIT,
    argon2Concurrency: e.ARGON2_CONCURRENCY,
    logLevel: e.LOG_LEVEL,
    rateLimits: Object.freeze({
      loginPerAccount: e.LOGIN_LIMIT_PER_ACCOUNT,
      loginPerIp: e.LOGIN_LIMIT_PER_IP,
      signupPerIp: e.SIGNUP_LIMIT_PER_IP,
      refreshPerIp: e.REFRESH_LIMIT_PER_IP,
      windowMs: e.RATE_LIMIT_WINDOW,
      loginMaxBlockMs: e.LOGIN_BLOCK_MAX,
    }),
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? Object.freeze({ certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE }) : null,
    pruneIntervalMs: e.PRUNE_INTERVAL,
    auditRetentionMs: e.AUDIT_RETENTION,
    jwtAlgorithm: e.JWT_ALG,
    keysReloadIntervalMs: e.KEYS_RELOAD_INTERVAL,
    keyRotationIntervalMs: e.KEY_ROTATION_INTERVAL,
  });
}
