import ms from 'ms';
import { z } from 'zod';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './keys/signing-keys';
import type { RateLimitSettings } from './abuse/rate-limits';

/**
 * The one place that reads the environment. Everything else receives a frozen Config.
 * A bad value stops start-up with one plain line that names the variable and says what it
 * accepts (contract.md, "Running it"); a secret's value is never repeated.
 */

export const DEV_SECRET = 'keycard-development-secret-do-not-use-in-production-0123456789';

/**
 * A value Keycard cannot start with. The message is one plain line that starts with the
 * variable and says what it accepts, e.g. `PORT must be a whole number from 0 to 65535 (got "x")`.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    /** The rest of the sentence after the variable's name. */
    requirement: string,
  ) {
    super(`${variable} ${requirement}`);
    this.name = 'ConfigError';
  }
}

/** A value as typed, on one line (JSON escapes quotes and control characters), cut if long. */
function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

type Refusal = { addIssue(issue: { code: 'custom'; message: string }): void };

function refuse(ctx: Refusal, requirement: string, value: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message: `${requirement} (got ${shown(value)})` });
  return z.NEVER;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** 90000 -> "90s", 3600000 -> "1h": the largest unit that divides it. */
function formatDuration(value: number): string {
  if (value === 0) return '0';
  for (const [unit, size] of [['d', DAY], ['h', HOUR], ['m', MINUTE], ['s', SECOND]] as const) {
    if (value % size === 0) return `${value / size}${unit}`;
  }
  return `${value}ms`;
}

/** "15m", "14d", "1.5h"; a bare number is seconds. Null when it is not a duration. */
function parseDuration(value: string): number | null {
  const text = value.trim();
  if (text === '') return null;
  if (/^\d+$/.test(text)) return Number(text) * SECOND;
  let parsed: number | undefined;
  try {
    parsed = ms(text as ms.StringValue);
  } catch {
    return null;
  }
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : null;
}

function durationRequirement(min: number, max: number | undefined, examples: string): string {
  const range = max !== undefined ? ` from ${formatDuration(min)} to ${formatDuration(max)}` : min > 0 ? ` of at least ${formatDuration(min)}` : '';
  return `a duration${range}, such as ${examples}`;
}

const duration = (min: number, options: { max?: number; examples?: string } = {}) => {
  const requirement = `must be ${durationRequirement(min, options.max, options.examples ?? '30s, 15m, 2h or 14d')}`;
  return z.string().transform((value, ctx) => {
    const parsed = parseDuration(value);
    if (parsed === null || parsed < min || (options.max !== undefined && parsed > options.max)) return refuse(ctx, requirement, value);
    return parsed;
  });
};

// setInterval fires at once for a delay over 2^31-1 ms (~24.8 days): refuse it rather than
// prune in a loop. 24d is the whole number of days under it.
const MAX_TIMER_DELAY_MS = 24 * DAY;

const wholeNumber = (min: number, max: number, of = '') =>
  z.string().transform((value, ctx) => {
    const text = value.trim();
    const parsed = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(parsed >= min && parsed <= max)) return refuse(ctx, `must be a whole number${of} from ${min} to ${max}`, value);
    return parsed;
  });

const oneOf = <const T extends readonly string[]>(values: T) =>
  z.string().transform((value, ctx): T[number] => {
    if ((values as readonly string[]).includes(value)) return value;
    return refuse(ctx, `must be one of ${values.join(', ')}`, value);
  });

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];
const flag = z.string().transform((value, ctx) => {
  const text = value.trim().toLowerCase();
  if (TRUE.includes(text)) return true;
  if (FALSE.includes(text)) return false;
  return refuse(ctx, 'must be true or false, or 1/0, yes/no, on/off', value);
});

/** Any text but a blank one (an empty value already means "not set"). */
const text = (requirement: string, { trim = false } = {}) =>
  z.string().transform((value, ctx) => (value.trim() === '' ? refuse(ctx, requirement, value) : trim ? value.trim() : value));

/** A database URL may carry a password: never repeat the user:password@ part. */
const withoutCredentials = (value: string) => value.replace(/(:\/\/)[^/@\s]*@/, '$1…@');

const POSTGRES_URL = /^postgres(ql)?:\/\/.+/;

/** Whether a URL names PostgreSQL (postgres:// or postgresql://) rather than SQLite. */
export const isPostgresDatabaseUrl = (url: string): boolean => POSTGRES_URL.test(url);

/** Which storage adapter DATABASE_URL names (src/storage/storage.ts). */
export type DatabaseDialect = 'sqlite' | 'postgres';

const envSchema = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber(0, 65535).default(4000),
  HOST: z
    .string()
    .transform((value, ctx) => (/^[^\s/]+$/.test(value.trim()) ? value.trim() : refuse(ctx, 'must be a host name or IP address to listen on, such as 127.0.0.1 or 0.0.0.0', value)))
    .default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .transform((value, ctx) =>
      value === ':memory:' || /^file:.+/.test(value) || POSTGRES_URL.test(value)
        ? value
        : refuse(ctx, 'must be file:<path> (an SQLite database file), :memory:, or postgres://user:password@host:port/database (PostgreSQL)', withoutCredentials(value)),
    )
    .default('file:data/keycard.db'),
  // PostgreSQL only (ignored on SQLite): each instance's pool and its timeouts.
  DATABASE_POOL_MAX: wholeNumber(1, 1000).default(10),
  DATABASE_CONNECT_TIMEOUT: duration(SECOND, { examples: '2s, 5s or 30s' }).prefault('5s'),
  DATABASE_STATEMENT_TIMEOUT: duration(0, { examples: '0 (none), 30s or 1m' }).prefault('30s'),
  ACCESS_TOKEN_TTL: duration(SECOND).prefault('15m'),
  REFRESH_TOKEN_TTL: duration(SECOND).prefault('14d'),
  SESSION_MAX_AGE: duration(SECOND).prefault('90d'),
  REFRESH_REUSE_GRACE: duration(0, { examples: '0, 10s or 1m' }).prefault('10s'),
  CLOCK_TOLERANCE: duration(0, { examples: '0, 5s or 1m' }).prefault('5s'),
  JWT_ISSUER: text("must be a name or URL for the tokens' iss claim, such as keycard").default('keycard'),
  JWT_AUDIENCE: text("must be a name or URL for the tokens' aud claim, such as keycard-api").default('keycard-api'),
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
    .default('off')
    .transform((value, ctx) => {
      const text = value.trim().toLowerCase();
      if (['off', 'false', '0', ''].includes(text)) return 0;
      const hops = /^\d+$/.test(text) ? Number(text) : NaN;
      if (!(hops >= 1 && hops <= 10)) return refuse(ctx, 'must be off or a number of proxy hops from 1 to 10', value);
      return hops;
    }),
  SANDBOX_ENABLED: flag.optional(),
  INTROSPECTION_ENABLED: flag.optional(),
  BODY_LIMIT: wholeNumber(1024, 10 * 1024 * 1024, ' of bytes').default(100 * 1024),
  ARGON2_CONCURRENCY: wholeNumber(1, 64).optional(),
  // Abuse limits (security.md #24, #26): attempts per RATE_LIMIT_WINDOW, per account or client IP.
  LOGIN_LIMIT_PER_ACCOUNT: wholeNumber(1, 100_000).default(5),
  LOGIN_LIMIT_PER_IP: wholeNumber(1, 100_000).default(20),
  SIGNUP_LIMIT_PER_IP: wholeNumber(1, 100_000).default(10),
  REFRESH_LIMIT_PER_IP: wholeNumber(1, 100_000).default(60),
  OAUTH_LIMIT_PER_IP: wholeNumber(1, 100_000).default(300),
  RATE_LIMIT_WINDOW: duration(SECOND).prefault('15m'),
  LOGIN_BLOCK_MAX: duration(SECOND).prefault('1h'),
  TLS_CERT_FILE: text('must be the path of a PEM certificate file', { trim: true }).optional(),
  TLS_KEY_FILE: text('must be the path of a PEM private key file', { trim: true }).optional(),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Operations (README "Metrics", "Shutdown", "Tracing").
  METRICS_PORT: wholeNumber(0, 65535).optional(),
  SHUTDOWN_TIMEOUT: duration(0, { max: 10 * MINUTE, examples: '0, 10s or 30s' }).prefault('10s'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .transform((value, ctx) =>
      /^https?:\/\/[^\s/]+(\/\S*)?$/.test(value.trim())
        ? value.trim().replace(/\/+$/, '')
        : refuse(ctx, 'must be the http(s) URL of an OpenTelemetry collector, such as http://127.0.0.1:4318', withoutCredentials(value)),
    )
    .optional(),
  OTEL_SERVICE_NAME: text('must be a name for the traces, such as keycard', { trim: true }).default('keycard'),
  PRUNE_INTERVAL: duration(SECOND, { max: MAX_TIMER_DELAY_MS, examples: '30m, 1h or 1d' }).prefault('1h'),
  AUDIT_RETENTION: duration(SECOND, { examples: '30d, 90d or 365d' }).prefault('90d'),
  JWT_ALG: oneOf(SIGNING_ALGORITHMS).default('ES256'),
  KEYS_RELOAD_INTERVAL: duration(SECOND, { max: MAX_TIMER_DELAY_MS, examples: '30s, 5m or 1h' }).prefault('30s'),
  OAUTH_DEVICE_CLIENTS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const ids = value
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean);
      const bad = ids.find((id) => !/^[A-Za-z0-9._~-]{1,100}$/.test(id));
      return bad === undefined ? ids : refuse(ctx, 'must be a comma-separated list of client ids (letters, digits and . _ ~ -), such as tv-app,keycard-cli', value);
    }),
  // Rotating more often than hourly only grows the JWKS: each key stays published for
  // ACCESS_TOKEN_TTL after the next one takes over.
  // Social login (src/oauth/): which providers, and the exact redirect URIs a client may ask for.
  OAUTH_PROVIDERS: text('must be a comma-separated list of provider ids (letters, digits, _), such as google,github,acme').optional(),
  OAUTH_REDIRECT_URIS: text('must be a comma-separated list of absolute redirect URIs, such as https://app.example.com/oauth/callback,com.example.app:/oauth').optional(),
  OAUTH_GITHUB_AUTHORIZE_URL: text("must be GitHub's authorization URL, such as https://github.com/login/oauth/authorize", { trim: true }).optional(),
  OAUTH_GITHUB_TOKEN_URL: text("must be GitHub's token URL, such as https://github.com/login/oauth/access_token", { trim: true }).optional(),
  OAUTH_GITHUB_API_URL: text("must be GitHub's API URL, such as https://api.github.com", { trim: true }).optional(),
  KEY_ROTATION_INTERVAL: z
    .string()
    .default('off')
    .transform((value, ctx) => {
      if (['off', 'false', '0'].includes(value.trim().toLowerCase())) return null;
      const parsed = parseDuration(value);
      if (parsed === null || parsed < HOUR) return refuse(ctx, `must be off or ${durationRequirement(HOUR, undefined, '1d, 7d or 30d')}`, value);
      return parsed;
    }),
  // Accounts by email (README, "Email").
  APP_URL: z.string().transform((value, ctx) => {
    const text = value.trim().replace(/\/+$/, '');
    return /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(text) ? text : refuse(ctx, 'must be the http:// or https:// URL of the web app that mailed links and the device page open, such as https://app.example.com', value);
  }).optional(),
  SMTP_URL: z
    .string()
    .transform((value, ctx) =>
      /^smtps?:\/\/[^\s/]+(:\d+)?\/?(\?\S*)?$/.test(value.trim())
        ? value.trim()
        : refuse(ctx, 'must be smtp://user:password@host:port (STARTTLS when the server offers it) or smtps://user:password@host:port (TLS from the start)', withoutCredentials(value)),
    )
    .optional(),
  MAIL_FROM: text('must be a sender address, such as Keycard <no-reply@example.com>', { trim: true })
    .transform((value, ctx) => (/^[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>$|^[^\s<>@]+@[^\s<>@]+$/.test(value) ? value : refuse(ctx, 'must be a sender address, such as Keycard <no-reply@example.com>', value)))
    .default('Keycard <no-reply@localhost>'),
  REQUIRE_EMAIL_VERIFICATION: flag.default(false),
});

/** Every environment variable Keycard reads under a fixed name. */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

/** The variables read per social-login provider, `<ID>` being its id upper-cased (OAUTH_ACME_ISSUER). */
export const CONFIG_VARIABLE_PATTERNS: readonly string[] = Object.freeze(['OAUTH_<ID>_CLIENT_ID', 'OAUTH_<ID>_CLIENT_SECRET', 'OAUTH_<ID>_ISSUER']);

interface OAuthClientSettings {
  /** Lower-case id, as in OAUTH_PROVIDERS and the `provider` argument. */
  readonly id: string;
  /** What a sign-in button says. */
  readonly name: string;
  readonly clientId: string;
  /** Unset: a public client, PKCE only (token endpoint auth `none`). */
  readonly clientSecret: string | null;
}

/** Any OpenID Connect provider: its discovery document gives the endpoints and the JWKS. */
export interface OidcProviderSettings extends OAuthClientSettings {
  readonly kind: 'oidc';
  readonly issuer: string;
}

/** GitHub: OAuth 2.0 without OIDC; the person and their verified emails come from its API. */
export interface GithubProviderSettings extends OAuthClientSettings {
  readonly kind: 'github';
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly apiUrl: string;
}

export type OAuthProviderSettings = OidcProviderSettings | GithubProviderSettings;

export const GOOGLE_ISSUER = 'https://accounts.google.com';
const GITHUB_URLS = { authorizeUrl: 'https://github.com/login/oauth/authorize', tokenUrl: 'https://github.com/login/oauth/access_token', apiUrl: 'https://api.github.com' };
const PROVIDER_NAMES: Record<string, string> = { google: 'Google', github: 'GitHub' };
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * A provider URL Keycard will call: https, or outside production http on loopback (a local
 * provider for development and tests). Production never sends a code or secret in clear.
 */
function providerUrl(variable: string, value: string, production: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(variable, `must be an absolute https:// URL (got ${shown(value)})`);
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname);
  if (url.protocol !== 'https:' && !(loopbackHttp && !production)) {
    const rule = production ? 'must be an https:// URL in production' : 'must be an https:// URL (http:// only on loopback, outside production)';
    throw new ConfigError(variable, `${rule} (got ${shown(value)})`);
  }
  return value.replace(/\/+$/, '');
}

function loadOAuth(env: Record<string, string | undefined>, providersList: string | undefined, redirectList: string | undefined, production: boolean) {
  const ids = (providersList ?? '')
    .split(',')
    .map((id) => id.trim().toLowerCase())
    .filter(Boolean);
  for (const [index, id] of ids.entries()) {
    if (!/^[a-z][a-z0-9_]{0,31}$/.test(id)) {
      throw new ConfigError('OAUTH_PROVIDERS', `must be a comma-separated list of provider ids (letters, digits, _), such as google,github,acme (got ${shown(id)})`);
    }
    if (ids.indexOf(id) !== index) throw new ConfigError('OAUTH_PROVIDERS', `must name each provider once (got ${shown(id)} twice)`);
  }
  const providers: OAuthProviderSettings[] = [];
  for (const id of ids) {
    const prefix = `OAUTH_${id.toUpperCase()}_`;
    const clientId = env[`${prefix}CLIENT_ID`]?.trim();
    if (!clientId) throw new ConfigError(`${prefix}CLIENT_ID`, `must be set: the client id ${id} gave this app`);
    const clientSecret = env[`${prefix}CLIENT_SECRET`]?.trim() || null;
    const common = { id, name: PROVIDER_NAMES[id] ?? id.charAt(0).toUpperCase() + id.slice(1), clientId, clientSecret };
    if (id === 'github') {
      providers.push(
        Object.freeze({
          kind: 'github' as const,
          ...common,
          authorizeUrl: providerUrl('OAUTH_GITHUB_AUTHORIZE_URL', env.OAUTH_GITHUB_AUTHORIZE_URL?.trim() ?? GITHUB_URLS.authorizeUrl, production),
          tokenUrl: providerUrl('OAUTH_GITHUB_TOKEN_URL', env.OAUTH_GITHUB_TOKEN_URL?.trim() ?? GITHUB_URLS.tokenUrl, production),
          apiUrl: providerUrl('OAUTH_GITHUB_API_URL', env.OAUTH_GITHUB_API_URL?.trim() ?? GITHUB_URLS.apiUrl, production),
        }),
      );
      continue;
    }
    const issuer = env[`${prefix}ISSUER`]?.trim() ?? (id === 'google' ? GOOGLE_ISSUER : undefined);
    if (!issuer) throw new ConfigError(`${prefix}ISSUER`, `must be set: the OpenID Connect issuer URL of ${id}, such as https://login.example.com`);
    // The issuer is compared byte for byte with the ID token's iss: keep it as written.
    providerUrl(`${prefix}ISSUER`, issuer, production);
    providers.push(Object.freeze({ kind: 'oidc' as const, ...common, issuer }));
  }
  const redirectUris = (redirectList ?? '')
    .split(',')
    .map((uri) => uri.trim())
    .filter(Boolean);
  for (const uri of redirectUris) {
    let url: URL | null = null;
    try {
      url = new URL(uri);
    } catch {
      url = null;
    }
    // RFC 6749 §3.1.2: absolute, no fragment. Custom schemes (com.example.app:/cb) are for mobile apps (RFC 8252 §7.1).
    if (!url || uri.includes('#') || ['javascript:', 'data:', 'file:', 'vbscript:'].includes(url.protocol)) {
      throw new ConfigError('OAUTH_REDIRECT_URIS', `must be a comma-separated list of absolute redirect URIs without #fragment, such as https://app.example.com/oauth/callback,com.example.app:/oauth (got ${shown(uri)})`);
    }
    if (production && url.protocol === 'http:' && !LOOPBACK_HOSTS.includes(url.hostname)) {
      throw new ConfigError('OAUTH_REDIRECT_URIS', `must use https:// in production (http:// only on loopback, for native apps) (got ${shown(uri)})`);
    }
  }
  if (providers.length > 0 && redirectUris.length === 0) {
    throw new ConfigError('OAUTH_REDIRECT_URIS', 'must list at least one redirect URI when OAUTH_PROVIDERS is set');
  }
  return Object.freeze({ providers: Object.freeze(providers), redirectUris: Object.freeze(redirectUris) });
}

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
  /** PostgreSQL's connection pool (DATABASE_POOL_MAX, DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT). */
  readonly databasePool: { readonly max: number; readonly connectionTimeoutMs: number; readonly statementTimeoutMs: number };
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly sessionMaxAgeMs: number;
  readonly refreshReuseGraceMs: number;
  readonly clockToleranceMs: number;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly corsOrigins: readonly string[];
  /** At least 32 bytes; the root of every key derived by src/keys/secret-keys.ts. */
  readonly secret: Buffer;
  readonly usingDevSecret: boolean;
  readonly trustProxyHops: number;
  readonly sandboxEnabled: boolean;
  readonly introspectionEnabled: boolean;
  readonly bodyLimitBytes: number;
  /** Password hashes in flight at once; unset: one per core (src/accounts/password.ts). */
  readonly argon2Concurrency: number | undefined;
  readonly logLevel: string;
  /** Port of the Prometheus /metrics server on `host`; null = no metrics (and nothing of prom-client loaded). */
  readonly metricsPort: number | null;
  /** How long a shutdown waits for in-flight requests before closing their connections. */
  readonly shutdownTimeoutMs: number;
  /** OpenTelemetry tracing, exported over OTLP/HTTP; null = off (nothing of OpenTelemetry loaded). */
  readonly tracing: { readonly endpoint: string; readonly serviceName: string } | null;
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
  /** APP_URL without a trailing slash: the web app that email links open and whose /device page approves devices. */
  readonly appUrl: string;
  /** OAUTH_DEVICE_CLIENTS: the client_ids allowed to start the device flow (RFC 8628). */
  readonly deviceClients: readonly string[];
  /** SMTP_URL as given (it may carry credentials: never log it); null = the dev outbox, or no email in production. */
  readonly smtpUrl: string | null;
  readonly mailFrom: string;
  /** Login and refresh of an account whose address is not verified answer EMAIL_NOT_VERIFIED. */
  readonly requireEmailVerification: boolean;
  /** Social login: the configured providers, and the redirect URIs a client may ask for (exact match). */
  readonly oauth: { readonly providers: readonly OAuthProviderSettings[]; readonly redirectUris: readonly string[] };
}

// Never echo the secret: its messages say what was wrong with it, not what it was.
const SECRET_REQUIREMENT = 'must be at least 32 random bytes written as hex or base64, such as the output of `openssl rand -hex 32`';

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
    // Every rule above words its own refusal; anything else would be zod's text.
    throw new ConfigError(variable, issue.code === 'custom' ? issue.message : 'has a value Keycard cannot read');
  }
  /** A duration as the operator wrote it (or its default), for messages that compare two. */
  const written = (variable: string, fallback: string) => cleaned[variable]?.trim() ?? fallback;
  const e = result.data;
  const production = e.NODE_ENV === 'production';

  let secret: Buffer;
  let usingDevSecret = false;
  if (e.KEYCARD_SECRET === undefined) {
    if (production) throw new ConfigError('KEYCARD_SECRET', `is required in production: it ${SECRET_REQUIREMENT}`);
    secret = Buffer.from(DEV_SECRET, 'utf8');
    usingDevSecret = true;
  } else {
    const decoded = decodeSecret(e.KEYCARD_SECRET);
    if (!decoded) throw new ConfigError('KEYCARD_SECRET', `${SECRET_REQUIREMENT} (got a value that is neither hex nor base64)`);
    if (decoded.length < 32) throw new ConfigError('KEYCARD_SECRET', `${SECRET_REQUIREMENT} (got ${decoded.length} ${decoded.length === 1 ? 'byte' : 'bytes'})`);
    if (e.KEYCARD_SECRET.trim() === DEV_SECRET) throw new ConfigError('KEYCARD_SECRET', `${SECRET_REQUIREMENT} (got the development default, which is public)`);
    if (new Set(decoded).size < 8) throw new ConfigError('KEYCARD_SECRET', `${SECRET_REQUIREMENT} (got a repetitive, guessable value)`);
    secret = decoded;
  }

  for (const origin of e.CORS_ORIGINS) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError('CORS_ORIGINS', `must be a comma-separated list of origins, each scheme://host[:port] with no path, such as https://app.example.com (got ${shown(origin)})`);
    }
  }
  if (production && e.CORS_ORIGINS.includes('*')) {
    throw new ConfigError('CORS_ORIGINS', 'must list the allowed origins in production: * cannot be combined with credentials (got "*")');
  }
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    const [missing, set] = e.TLS_CERT_FILE === undefined ? ['TLS_CERT_FILE', 'TLS_KEY_FILE'] : ['TLS_KEY_FILE', 'TLS_CERT_FILE'];
    throw new ConfigError(missing, `must be set as well as ${set}: the two go together (set both, or neither)`);
  }
  if (e.LOGIN_BLOCK_MAX < e.RATE_LIMIT_WINDOW) {
    throw new ConfigError(
      'LOGIN_BLOCK_MAX',
      `must be at least RATE_LIMIT_WINDOW, as the first block lasts one window (got ${written('LOGIN_BLOCK_MAX', '1h')}, RATE_LIMIT_WINDOW is ${written('RATE_LIMIT_WINDOW', '15m')})`,
    );
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    throw new ConfigError('METRICS_PORT', `must differ from PORT: metrics are never served on the API port (got ${e.METRICS_PORT})`);
  }
  if (e.REFRESH_TOKEN_TTL > e.SESSION_MAX_AGE) {
    throw new ConfigError(
      'REFRESH_TOKEN_TTL',
      `must not be longer than SESSION_MAX_AGE (got ${written('REFRESH_TOKEN_TTL', '14d')}, SESSION_MAX_AGE is ${written('SESSION_MAX_AGE', '90d')})`,
    );
  }
  if (e.ACCESS_TOKEN_TTL > e.REFRESH_TOKEN_TTL) {
    throw new ConfigError(
      'ACCESS_TOKEN_TTL',
      `must not be longer than REFRESH_TOKEN_TTL (got ${written('ACCESS_TOKEN_TTL', '15m')}, REFRESH_TOKEN_TTL is ${written('REFRESH_TOKEN_TTL', '14d')})`,
    );
  }

  // Mailed links and the device page's verification_uri must open the real web app (contract.md, "More configuration").
  const needsAppUrl = [e.SMTP_URL !== undefined && 'SMTP_URL', e.OAUTH_DEVICE_CLIENTS.length > 0 && 'OAUTH_DEVICE_CLIENTS'].filter(Boolean);
  if (production && e.APP_URL === undefined && needsAppUrl.length > 0) {
    throw new ConfigError('APP_URL', `is required in production when ${needsAppUrl.join(' or ')} is set: it is the web app that mailed links and the device page open, such as https://app.example.com`);
  }
  if (production && e.REQUIRE_EMAIL_VERIFICATION && e.SMTP_URL === undefined) {
    throw new ConfigError('REQUIRE_EMAIL_VERIFICATION', 'needs SMTP_URL in production: without mail nobody could verify an address, so nobody could sign in');
  }
  // The demo page is where development links land; 0.0.0.0 listens everywhere but is no address to open.
  const linkHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST;

  return Object.freeze({
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseDialect: POSTGRES_URL.test(e.DATABASE_URL) ? 'postgres' : 'sqlite',
    databasePool: Object.freeze({ max: e.DATABASE_POOL_MAX, connectionTimeoutMs: e.DATABASE_CONNECT_TIMEOUT, statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT }),
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
    metricsPort: e.METRICS_PORT ?? null,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
    tracing: e.OTEL_EXPORTER_OTLP_ENDPOINT ? Object.freeze({ endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME }) : null,
    rateLimits: Object.freeze({
      loginPerAccount: e.LOGIN_LIMIT_PER_ACCOUNT,
      loginPerIp: e.LOGIN_LIMIT_PER_IP,
      signupPerIp: e.SIGNUP_LIMIT_PER_IP,
      refreshPerIp: e.REFRESH_LIMIT_PER_IP,
      oauthPerIp: e.OAUTH_LIMIT_PER_IP,
      windowMs: e.RATE_LIMIT_WINDOW,
      loginMaxBlockMs: e.LOGIN_BLOCK_MAX,
    }),
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? Object.freeze({ certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE }) : null,
    pruneIntervalMs: e.PRUNE_INTERVAL,
    auditRetentionMs: e.AUDIT_RETENTION,
    jwtAlgorithm: e.JWT_ALG,
    keysReloadIntervalMs: e.KEYS_RELOAD_INTERVAL,
    keyRotationIntervalMs: e.KEY_ROTATION_INTERVAL,
    appUrl: e.APP_URL ?? `${e.TLS_CERT_FILE ? 'https' : 'http'}://${linkHost}:${e.PORT}/demo`,
    deviceClients: Object.freeze([...e.OAUTH_DEVICE_CLIENTS]),
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM,
    requireEmailVerification: e.REQUIRE_EMAIL_VERIFICATION,
    oauth: loadOAuth(cleaned, e.OAUTH_PROVIDERS, e.OAUTH_REDIRECT_URIS, production),
  });
}
