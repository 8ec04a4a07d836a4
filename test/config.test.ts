import assert from 'node:assert/strict';
import { oauthIssuer } from '../src/http/oauth/issuer';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_VARIABLE_PATTERNS, CONFIG_VARIABLES, ConfigError, DEV_SECRET, loadConfig } from '../src/config';

const STRONG = 'a3f1c9e27b5d4806f2a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b1d3';

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

describe('configuration', () => {
  it('has the contract defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 4000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databasePath, 'data/keycard.db');
    assert.equal(config.databaseUrl, 'file:data/keycard.db');
    assert.equal(config.databaseDialect, 'sqlite');
    assert.equal(config.accessTokenTtlMs, 15 * 60_000);
    assert.equal(config.refreshTokenTtlMs, 14 * 86_400_000);
    assert.equal(config.sessionMaxAgeMs, 90 * 86_400_000);
    assert.equal(config.refreshReuseGraceMs, 10_000);
    assert.equal(config.trustProxyHops, 0);
    assert.equal(config.production, false);
    assert.equal(config.usingDevSecret, true);
    assert.equal(config.appUrl, 'http://127.0.0.1:4000/demo');
    assert.deepEqual(config.deviceClients, []);
    assert.equal(oauthIssuer(config) !== null, false);
    assert.ok(Object.isFrozen(config));
    assert.equal(config.appUrl, 'http://127.0.0.1:4000/demo');
    assert.equal(config.smtpUrl, null);
    assert.equal(config.mailFrom, 'Keycard <no-reply@localhost>');
    assert.equal(config.requireEmailVerification, false);
  });

  it('email: APP_URL loses its trailing slash, the development default follows HOST and PORT, production starts without SMTP_URL', () => {
    assert.equal(loadConfig({ APP_URL: 'https://app.example.com/' }).appUrl, 'https://app.example.com');
    assert.equal(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }).appUrl, 'http://127.0.0.1:8080/demo');
    const production = loadConfig({ NODE_ENV: 'production', KEYCARD_SECRET: STRONG });
    assert.equal(production.smtpUrl, null);
    const mailing = loadConfig({ NODE_ENV: 'production', KEYCARD_SECRET: STRONG, SMTP_URL: 'smtp://u:p@mail.example.com:587', APP_URL: 'https://app.example.com', REQUIRE_EMAIL_VERIFICATION: 'true' });
    assert.deepEqual([mailing.smtpUrl, mailing.requireEmailVerification], ['smtp://u:p@mail.example.com:587', true]);
  });

  it('APP_URL loses its trailing slash; OAUTH_DEVICE_CLIENTS is a trimmed list; a URL issuer turns the OAuth endpoints on', () => {
    const config = loadConfig({ APP_URL: 'https://app.example.com/', OAUTH_DEVICE_CLIENTS: ' tv , keycard-cli ', JWT_ISSUER: 'https://auth.example.com' });
    assert.equal(config.appUrl, 'https://app.example.com');
    assert.deepEqual(config.deviceClients, ['tv', 'keycard-cli']);
    assert.equal(oauthIssuer(config) !== null, true);
    const production = { NODE_ENV: 'production', KEYCARD_SECRET: STRONG, APP_URL: 'https://app.example.com', OAUTH_DEVICE_CLIENTS: 'tv' };
    assert.equal(oauthIssuer(loadConfig({ ...production, JWT_ISSUER: 'http://auth.example.com' })) !== null, false, 'production needs https');
    assert.equal(oauthIssuer(loadConfig({ ...production, JWT_ISSUER: 'https://auth.example.com' })) !== null, true);
  });

  it('has metrics and tracing off and a 10s shutdown bound by default; reads them when set', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.metricsPort, null);
    assert.equal(defaults.tracing, null);
    assert.equal(defaults.shutdownTimeoutMs, 10_000);
    const set = loadConfig({ METRICS_PORT: '9464', SHUTDOWN_TIMEOUT: '30s', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/', OTEL_SERVICE_NAME: 'auth' });
    assert.equal(set.metricsPort, 9464);
    assert.equal(set.shutdownTimeoutMs, 30_000);
    assert.deepEqual(set.tracing, { endpoint: 'http://127.0.0.1:4318', serviceName: 'auth' });
  });

  it('parses durations, :memory:, CORS lists and proxy hops', () => {
    const config = loadConfig({ ACCESS_TOKEN_TTL: '5m', DATABASE_URL: ':memory:', CORS_ORIGINS: 'https://a.example, http://localhost:5173', TRUST_PROXY: '2' });
    assert.equal(config.accessTokenTtlMs, 300_000);
    assert.equal(config.databasePath, ':memory:');
    assert.deepEqual(config.corsOrigins, ['https://a.example', 'http://localhost:5173']);
    assert.equal(config.trustProxyHops, 2);
  });

  it('DATABASE_URL names its dialect: a postgres:// or postgresql:// URL is kept whole, with no file path', () => {
    for (const url of ['postgres://keycard:secret@db.internal:5432/keycard', 'postgresql://db.internal/keycard?sslmode=require']) {
      const config = loadConfig({ DATABASE_URL: url });
      assert.deepEqual([config.databaseDialect, config.databaseUrl, config.databasePath], ['postgres', url, null]);
    }
    const file = loadConfig({ DATABASE_URL: 'file:/var/lib/keycard/k.db' });
    assert.deepEqual([file.databaseDialect, file.databaseUrl, file.databasePath], ['sqlite', 'file:/var/lib/keycard/k.db', '/var/lib/keycard/k.db']);
  });

  it('a bad value is refused with a message that names the variable', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ ACCESS_TOKEN_TTL: 'soon' }, 'ACCESS_TOKEN_TTL'],
      [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
      [{ DATABASE_URL: 'postgres://' }, 'DATABASE_URL'],
      [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
      [{ TRUST_PROXY: 'yes please' }, 'TRUST_PROXY'],
      [{ CORS_ORIGINS: 'https://a.example/path' }, 'CORS_ORIGINS'],
      [{ KEYCARD_SECRET: 'short' }, 'KEYCARD_SECRET'],
      [{ REFRESH_TOKEN_TTL: '100d' }, 'REFRESH_TOKEN_TTL'],
    ];
    for (const [env, variable] of cases) {
      const error = refusal(env);
      assert.equal(error.variable, variable);
      assert.ok(error.message.startsWith(`${variable} `));
      assert.ok(!error.message.includes('\n'), 'one line');
    }
  });

  it('#9 production refuses a missing, short, default or low-entropy secret', () => {
    assert.equal(refusal({ NODE_ENV: 'production' }).variable, 'KEYCARD_SECRET');
    assert.equal(refusal({ NODE_ENV: 'production', KEYCARD_SECRET: 'ab'.repeat(16) }).variable, 'KEYCARD_SECRET');
    assert.equal(refusal({ NODE_ENV: 'production', KEYCARD_SECRET: 'abcd'.repeat(4) }).variable, 'KEYCARD_SECRET');
    assert.equal(refusal({ NODE_ENV: 'production', KEYCARD_SECRET: DEV_SECRET }).variable, 'KEYCARD_SECRET');
    assert.equal(refusal({ NODE_ENV: 'production', KEYCARD_SECRET: '00'.repeat(32) }).variable, 'KEYCARD_SECRET');
    assert.equal(loadConfig({ NODE_ENV: 'production', KEYCARD_SECRET: STRONG }).production, true);
  });

  it('production refuses CORS_ORIGINS=* with credentials', () => {
    assert.equal(refusal({ NODE_ENV: 'production', KEYCARD_SECRET: STRONG, CORS_ORIGINS: '*' }).variable, 'CORS_ORIGINS');
  });

  it('production turns off Sandbox and introspection unless enabled', () => {
    const config = loadConfig({ NODE_ENV: 'production', KEYCARD_SECRET: STRONG });
    assert.equal(config.sandboxEnabled, false);
    assert.equal(config.introspectionEnabled, false);
    assert.equal(loadConfig({ NODE_ENV: 'production', KEYCARD_SECRET: STRONG, SANDBOX_ENABLED: 'true' }).sandboxEnabled, true);
  });

  it('#9 the server process exits non-zero with a one-line message naming the variable', () => {
    const main = path.resolve(__dirname, '..', 'src', 'main.js');
    let stderr = '';
    let status = 0;
    try {
      execFileSync(process.execPath, [main], { env: { PATH: process.env.PATH, NODE_ENV: 'production', DATABASE_URL: ':memory:' }, stdio: 'pipe', cwd: path.resolve(__dirname, '..') });
    } catch (error) {
      const failure = error as { status: number; stderr: Buffer };
      status = failure.status;
      stderr = failure.stderr.toString();
    }
    assert.notEqual(status, 0);
    assert.equal(stderr.trim().split('\n').length, 1);
    assert.match(stderr, /^keycard: KEYCARD_SECRET is required in production/);
  });
});

/** The secret's requirement, shared by its refusals. */
const SECRET_RULE = 'KEYCARD_SECRET must be at least 32 random bytes written as hex or base64, such as the output of `openssl rand -hex 32`';

/**
 * One bad value of every variable, and the exact line it stops start-up with: the variable,
 * what it accepts in plain words, and what it got (never a secret's value).
 */
const REFUSALS: ReadonlyArray<readonly [variable: string, env: Record<string, string>, line: string]> = [
  ['NODE_ENV', { NODE_ENV: 'staging' }, 'NODE_ENV must be one of development, production, test (got "staging")'],
  ['PORT', { PORT: 'notaport' }, 'PORT must be a whole number from 0 to 65535 (got "notaport")'],
  ['PORT', { PORT: '70000' }, 'PORT must be a whole number from 0 to 65535 (got "70000")'],
  ['HOST', { HOST: 'http://localhost' }, 'HOST must be a host name or IP address to listen on, such as 127.0.0.1 or 0.0.0.0 (got "http://localhost")'],
  ['DATABASE_URL', { DATABASE_URL: 'mysql://admin:hunter2@db/keycard' }, 'DATABASE_URL must be file:<path> (an SQLite database file), :memory:, or postgres://user:password@host:port/database (PostgreSQL) (got "mysql://…@db/keycard")'],
  ['DATABASE_POOL_MAX', { DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX must be a whole number from 1 to 1000 (got "0")'],
  ['DATABASE_CONNECT_TIMEOUT', { DATABASE_CONNECT_TIMEOUT: 'soon' }, 'DATABASE_CONNECT_TIMEOUT must be a duration of at least 1s, such as 2s, 5s or 30s (got "soon")'],
  ['DATABASE_STATEMENT_TIMEOUT', { DATABASE_STATEMENT_TIMEOUT: '-1' }, 'DATABASE_STATEMENT_TIMEOUT must be a duration, such as 0 (none), 30s or 1m (got "-1")'],
  ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: 'soon' }, 'ACCESS_TOKEN_TTL must be a duration of at least 1s, such as 30s, 15m, 2h or 14d (got "soon")'],
  ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: '30d' }, 'ACCESS_TOKEN_TTL must not be longer than REFRESH_TOKEN_TTL (got 30d, REFRESH_TOKEN_TTL is 14d)'],
  ['REFRESH_TOKEN_TTL', { REFRESH_TOKEN_TTL: '500ms' }, 'REFRESH_TOKEN_TTL must be a duration of at least 1s, such as 30s, 15m, 2h or 14d (got "500ms")'],
  ['REFRESH_TOKEN_TTL', { REFRESH_TOKEN_TTL: '100d' }, 'REFRESH_TOKEN_TTL must not be longer than SESSION_MAX_AGE (got 100d, SESSION_MAX_AGE is 90d)'],
  ['SESSION_MAX_AGE', { SESSION_MAX_AGE: 'forever' }, 'SESSION_MAX_AGE must be a duration of at least 1s, such as 30s, 15m, 2h or 14d (got "forever")'],
  ['REFRESH_REUSE_GRACE', { REFRESH_REUSE_GRACE: '-5s' }, 'REFRESH_REUSE_GRACE must be a duration, such as 0, 10s or 1m (got "-5s")'],
  ['CLOCK_TOLERANCE', { CLOCK_TOLERANCE: 'a bit' }, 'CLOCK_TOLERANCE must be a duration, such as 0, 5s or 1m (got "a bit")'],
  ['JWT_ISSUER', { JWT_ISSUER: '   ' }, 'JWT_ISSUER must be a name or URL for the tokens\' iss claim, such as keycard (got "   ")'],
  ['JWT_AUDIENCE', { JWT_AUDIENCE: ' ' }, 'JWT_AUDIENCE must be a name or URL for the tokens\' aud claim, such as keycard-api (got " ")'],
  [
    'CORS_ORIGINS',
    { CORS_ORIGINS: 'https://a.example, https://b.example/path' },
    'CORS_ORIGINS must be a comma-separated list of origins, each scheme://host[:port] with no path, such as https://app.example.com (got "https://b.example/path")',
  ],
  ['CORS_ORIGINS', { NODE_ENV: 'production', KEYCARD_SECRET: STRONG, CORS_ORIGINS: '*' }, 'CORS_ORIGINS must list the allowed origins in production: * cannot be combined with credentials (got "*")'],
  ['KEYCARD_SECRET', { NODE_ENV: 'production' }, 'KEYCARD_SECRET is required in production: it must be at least 32 random bytes written as hex or base64, such as the output of `openssl rand -hex 32`'],
  ['KEYCARD_SECRET', { KEYCARD_SECRET: 'abcd' }, `${SECRET_RULE} (got 2 bytes)`],
  ['KEYCARD_SECRET', { KEYCARD_SECRET: 'not a secret!' }, `${SECRET_RULE} (got a value that is neither hex nor base64)`],
  ['KEYCARD_SECRET', { KEYCARD_SECRET: DEV_SECRET }, `${SECRET_RULE} (got the development default, which is public)`],
  ['KEYCARD_SECRET', { KEYCARD_SECRET: '00'.repeat(32) }, `${SECRET_RULE} (got a repetitive, guessable value)`],
  ['TRUST_PROXY', { TRUST_PROXY: 'yes please' }, 'TRUST_PROXY must be off or a number of proxy hops from 1 to 10 (got "yes please")'],
  ['SANDBOX_ENABLED', { SANDBOX_ENABLED: 'maybe' }, 'SANDBOX_ENABLED must be true or false, or 1/0, yes/no, on/off (got "maybe")'],
  ['INTROSPECTION_ENABLED', { INTROSPECTION_ENABLED: 'sure' }, 'INTROSPECTION_ENABLED must be true or false, or 1/0, yes/no, on/off (got "sure")'],
  ['BODY_LIMIT', { BODY_LIMIT: '1k' }, 'BODY_LIMIT must be a whole number of bytes from 1024 to 10485760 (got "1k")'],
  ['ARGON2_CONCURRENCY', { ARGON2_CONCURRENCY: '0' }, 'ARGON2_CONCURRENCY must be a whole number from 1 to 64 (got "0")'],
  ['LOGIN_LIMIT_PER_ACCOUNT', { LOGIN_LIMIT_PER_ACCOUNT: '0' }, 'LOGIN_LIMIT_PER_ACCOUNT must be a whole number from 1 to 100000 (got "0")'],
  ['LOGIN_LIMIT_PER_IP', { LOGIN_LIMIT_PER_IP: 'many' }, 'LOGIN_LIMIT_PER_IP must be a whole number from 1 to 100000 (got "many")'],
  ['SIGNUP_LIMIT_PER_IP', { SIGNUP_LIMIT_PER_IP: '-1' }, 'SIGNUP_LIMIT_PER_IP must be a whole number from 1 to 100000 (got "-1")'],
  ['REFRESH_LIMIT_PER_IP', { REFRESH_LIMIT_PER_IP: '1.5' }, 'REFRESH_LIMIT_PER_IP must be a whole number from 1 to 100000 (got "1.5")'],
  ['OAUTH_LIMIT_PER_IP', { OAUTH_LIMIT_PER_IP: '0' }, 'OAUTH_LIMIT_PER_IP must be a whole number from 1 to 100000 (got "0")'],
  ['RATE_LIMIT_WINDOW', { RATE_LIMIT_WINDOW: 'soon' }, 'RATE_LIMIT_WINDOW must be a duration of at least 1s, such as 30s, 15m, 2h or 14d (got "soon")'],
  ['LOGIN_BLOCK_MAX', { LOGIN_BLOCK_MAX: 'never' }, 'LOGIN_BLOCK_MAX must be a duration of at least 1s, such as 30s, 15m, 2h or 14d (got "never")'],
  [
    'LOGIN_BLOCK_MAX',
    { RATE_LIMIT_WINDOW: '1h', LOGIN_BLOCK_MAX: '30m' },
    'LOGIN_BLOCK_MAX must be at least RATE_LIMIT_WINDOW, as the first block lasts one window (got 30m, RATE_LIMIT_WINDOW is 1h)',
  ],
  ['TLS_CERT_FILE', { TLS_CERT_FILE: '  ', TLS_KEY_FILE: 'key.pem' }, 'TLS_CERT_FILE must be the path of a PEM certificate file (got "  ")'],
  ['TLS_CERT_FILE', { TLS_KEY_FILE: 'key.pem' }, 'TLS_CERT_FILE must be set as well as TLS_KEY_FILE: the two go together (set both, or neither)'],
  ['TLS_KEY_FILE', { TLS_CERT_FILE: 'cert.pem', TLS_KEY_FILE: ' ' }, 'TLS_KEY_FILE must be the path of a PEM private key file (got " ")'],
  ['TLS_KEY_FILE', { TLS_CERT_FILE: 'cert.pem' }, 'TLS_KEY_FILE must be set as well as TLS_CERT_FILE: the two go together (set both, or neither)'],
  ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
  ['METRICS_PORT', { METRICS_PORT: 'prometheus' }, 'METRICS_PORT must be a whole number from 0 to 65535 (got "prometheus")'],
  ['METRICS_PORT', { PORT: '4000', METRICS_PORT: '4000' }, 'METRICS_PORT must differ from PORT: metrics are never served on the API port (got 4000)'],
  ['SHUTDOWN_TIMEOUT', { SHUTDOWN_TIMEOUT: '1h' }, 'SHUTDOWN_TIMEOUT must be a duration from 0 to 10m, such as 0, 10s or 30s (got "1h")'],
  [
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
    'OTEL_EXPORTER_OTLP_ENDPOINT must be the http(s) URL of an OpenTelemetry collector, such as http://127.0.0.1:4318 (got "collector:4318")',
  ],
  ['OTEL_SERVICE_NAME', { OTEL_SERVICE_NAME: '  ' }, 'OTEL_SERVICE_NAME must be a name for the traces, such as keycard (got "  ")'],
  ['PRUNE_INTERVAL', { PRUNE_INTERVAL: '30d' }, 'PRUNE_INTERVAL must be a duration from 1s to 24d, such as 30m, 1h or 1d (got "30d")'],
  ['AUDIT_RETENTION', { AUDIT_RETENTION: 'forever' }, 'AUDIT_RETENTION must be a duration of at least 1s, such as 30d, 90d or 365d (got "forever")'],
  ['JWT_ALG', { JWT_ALG: 'HS256' }, 'JWT_ALG must be one of ES256, RS256, PS256 (got "HS256")'],
  ['KEYS_RELOAD_INTERVAL', { KEYS_RELOAD_INTERVAL: '100ms' }, 'KEYS_RELOAD_INTERVAL must be a duration from 1s to 24d, such as 30s, 5m or 1h (got "100ms")'],
  ['KEY_ROTATION_INTERVAL', { KEY_ROTATION_INTERVAL: '10m' }, 'KEY_ROTATION_INTERVAL must be off or a duration of at least 1h, such as 1d, 7d or 30d (got "10m")'],
  ['APP_URL', { APP_URL: 'app.example.com' }, 'APP_URL must be the http:// or https:// URL of the web app that mailed links and the device page open, such as https://app.example.com (got "app.example.com")'],
  ['APP_URL', { NODE_ENV: 'production', KEYCARD_SECRET: STRONG, SMTP_URL: 'smtps://mail.example.com' }, 'APP_URL is required in production when SMTP_URL is set: it is the web app that mailed links and the device page open, such as https://app.example.com'],
  [
    'SMTP_URL',
    { SMTP_URL: 'http://user:pw@mail.example.com' },
    'SMTP_URL must be smtp://user:password@host:port (STARTTLS when the server offers it) or smtps://user:password@host:port (TLS from the start) (got "http://…@mail.example.com")',
  ],
  ['MAIL_FROM', { MAIL_FROM: 'Keycard <nobody>' }, 'MAIL_FROM must be a sender address, such as Keycard <no-reply@example.com> (got "Keycard <nobody>")'],
  ['REQUIRE_EMAIL_VERIFICATION', { REQUIRE_EMAIL_VERIFICATION: 'maybe' }, 'REQUIRE_EMAIL_VERIFICATION must be true or false, or 1/0, yes/no, on/off (got "maybe")'],
  [
    'REQUIRE_EMAIL_VERIFICATION',
    { NODE_ENV: 'production', KEYCARD_SECRET: STRONG, REQUIRE_EMAIL_VERIFICATION: 'true' },
    'REQUIRE_EMAIL_VERIFICATION needs SMTP_URL in production: without mail nobody could verify an address, so nobody could sign in',
  ],
  ['APP_URL', { NODE_ENV: 'production', KEYCARD_SECRET: STRONG, OAUTH_DEVICE_CLIENTS: 'tv' }, 'APP_URL is required in production when OAUTH_DEVICE_CLIENTS is set: it is the web app that mailed links and the device page open, such as https://app.example.com'],
  ['OAUTH_DEVICE_CLIENTS', { OAUTH_DEVICE_CLIENTS: 'tv,my cli' }, 'OAUTH_DEVICE_CLIENTS must be a comma-separated list of client ids (letters, digits and . _ ~ -), such as tv-app,keycard-cli (got "tv,my cli")'],
  ['OAUTH_PROVIDERS', { OAUTH_PROVIDERS: 'acme,a-b' }, 'OAUTH_PROVIDERS must be a comma-separated list of provider ids (letters, digits, _), such as google,github,acme (got "a-b")'],
  ['OAUTH_PROVIDERS', { OAUTH_PROVIDERS: ' ' }, 'OAUTH_PROVIDERS must be a comma-separated list of provider ids (letters, digits, _), such as google,github,acme (got " ")'],
  [
    'OAUTH_REDIRECT_URIS',
    { OAUTH_REDIRECT_URIS: 'https://app.example/cb#frag' },
    'OAUTH_REDIRECT_URIS must be a comma-separated list of absolute redirect URIs without #fragment, such as https://app.example.com/oauth/callback,com.example.app:/oauth (got "https://app.example/cb#frag")',
  ],
  [
    'OAUTH_REDIRECT_URIS',
    { NODE_ENV: 'production', KEYCARD_SECRET: STRONG, OAUTH_REDIRECT_URIS: 'http://app.example/cb' },
    'OAUTH_REDIRECT_URIS must use https:// in production (http:// only on loopback, for native apps) (got "http://app.example/cb")',
  ],
  ['OAUTH_REDIRECT_URIS', { OAUTH_PROVIDERS: 'google', OAUTH_GOOGLE_CLIENT_ID: 'id' }, 'OAUTH_REDIRECT_URIS must list at least one redirect URI when OAUTH_PROVIDERS is set'],
  [
    'OAUTH_GITHUB_AUTHORIZE_URL',
    { OAUTH_PROVIDERS: 'github', OAUTH_GITHUB_CLIENT_ID: 'id', OAUTH_REDIRECT_URIS: 'https://a.example/cb', OAUTH_GITHUB_AUTHORIZE_URL: 'http://github.example/authorize' },
    'OAUTH_GITHUB_AUTHORIZE_URL must be an https:// URL (http:// only on loopback, outside production) (got "http://github.example/authorize")',
  ],
  [
    'OAUTH_GITHUB_TOKEN_URL',
    { OAUTH_PROVIDERS: 'github', OAUTH_GITHUB_CLIENT_ID: 'id', OAUTH_REDIRECT_URIS: 'https://a.example/cb', OAUTH_GITHUB_TOKEN_URL: 'not a url' },
    'OAUTH_GITHUB_TOKEN_URL must be an absolute https:// URL (got "not a url")',
  ],
  [
    'OAUTH_GITHUB_API_URL',
    { NODE_ENV: 'production', KEYCARD_SECRET: STRONG, OAUTH_PROVIDERS: 'github', OAUTH_GITHUB_CLIENT_ID: 'id', OAUTH_REDIRECT_URIS: 'https://a.example/cb', OAUTH_GITHUB_API_URL: 'http://127.0.0.1:9000' },
    'OAUTH_GITHUB_API_URL must be an https:// URL in production (got "http://127.0.0.1:9000")',
  ],
];

/** The per-provider variables (`<ID>` is the provider id upper-cased): each pattern has a refusal too. */
const PATTERN_REFUSALS: Array<[string, Record<string, string>, string, string]> = [
  ['OAUTH_<ID>_CLIENT_ID', { OAUTH_PROVIDERS: 'acme', OAUTH_ACME_ISSUER: 'https://login.acme.example', OAUTH_REDIRECT_URIS: 'https://a.example/cb' }, 'OAUTH_ACME_CLIENT_ID', 'OAUTH_ACME_CLIENT_ID must be set: the client id acme gave this app'],
  ['OAUTH_<ID>_ISSUER', { OAUTH_PROVIDERS: 'acme', OAUTH_ACME_CLIENT_ID: 'id', OAUTH_REDIRECT_URIS: 'https://a.example/cb' }, 'OAUTH_ACME_ISSUER', 'OAUTH_ACME_ISSUER must be set: the OpenID Connect issuer URL of acme, such as https://login.example.com'],
  [
    'OAUTH_<ID>_ISSUER',
    { OAUTH_PROVIDERS: 'acme', OAUTH_ACME_CLIENT_ID: 'id', OAUTH_ACME_ISSUER: 'http://login.acme.example', OAUTH_REDIRECT_URIS: 'https://a.example/cb' },
    'OAUTH_ACME_ISSUER',
    'OAUTH_ACME_ISSUER must be an https:// URL (http:// only on loopback, outside production) (got "http://login.acme.example")',
  ],
  [
    'OAUTH_<ID>_ISSUER',
    { NODE_ENV: 'production', KEYCARD_SECRET: STRONG, OAUTH_PROVIDERS: 'acme', OAUTH_ACME_CLIENT_ID: 'id', OAUTH_ACME_ISSUER: 'http://127.0.0.1:8080', OAUTH_REDIRECT_URIS: 'https://a.example/cb' },
    'OAUTH_ACME_ISSUER',
    'OAUTH_ACME_ISSUER must be an https:// URL in production (got "http://127.0.0.1:8080")',
  ],
  // A client secret is optional (a public client relies on PKCE alone); a blank one means unset.
  ['OAUTH_<ID>_CLIENT_SECRET', { OAUTH_PROVIDERS: 'google', OAUTH_GOOGLE_CLIENT_SECRET: 'secret', OAUTH_REDIRECT_URIS: 'https://a.example/cb' }, 'OAUTH_GOOGLE_CLIENT_ID', 'OAUTH_GOOGLE_CLIENT_ID must be set: the client id google gave this app'],
];

describe('configuration errors in plain words', () => {
  for (const [variable, env, line] of REFUSALS) {
    it(`${JSON.stringify(env)} stops start-up with: ${line}`, () => {
      const error = refusal(env);
      assert.equal(error.variable, variable);
      assert.equal(error.message, line);
    });
  }

  it('the table has a bad value for every variable Keycard reads', () => {
    assert.deepEqual([...new Set(REFUSALS.map(([variable]) => variable))].sort(), [...CONFIG_VARIABLES].sort());
    assert.deepEqual([...new Set(PATTERN_REFUSALS.map(([pattern]) => pattern))].sort(), [...CONFIG_VARIABLE_PATTERNS].sort());
  });

  for (const [pattern, env, variable, line] of PATTERN_REFUSALS) {
    it(`${pattern}: ${JSON.stringify(env)} stops start-up with: ${line}`, () => {
      const error = refusal(env);
      assert.equal(error.variable, variable);
      assert.equal(error.message, line);
    });
  }

  it('social login: the google preset, github defaults, a public client, and http on loopback outside production', () => {
    const config = loadConfig({
      OAUTH_PROVIDERS: 'Google, github, acme',
      OAUTH_GOOGLE_CLIENT_ID: 'g-id',
      OAUTH_GOOGLE_CLIENT_SECRET: 'g-secret',
      OAUTH_GITHUB_CLIENT_ID: 'gh-id',
      OAUTH_ACME_CLIENT_ID: 'acme-id',
      OAUTH_ACME_ISSUER: 'http://127.0.0.1:9000',
      OAUTH_REDIRECT_URIS: 'https://app.example/cb, com.example.app:/oauth',
    });
    assert.deepEqual(
      config.oauth.providers.map((p) => [p.id, p.name, p.kind, p.clientSecret, p.kind === 'oidc' ? p.issuer : p.tokenUrl]),
      [
        ['google', 'Google', 'oidc', 'g-secret', 'https://accounts.google.com'],
        ['github', 'GitHub', 'github', null, 'https://github.com/login/oauth/access_token'],
        ['acme', 'Acme', 'oidc', null, 'http://127.0.0.1:9000'],
      ],
    );
    assert.deepEqual(config.oauth.redirectUris, ['https://app.example/cb', 'com.example.app:/oauth']);
    assert.deepEqual(loadConfig({}).oauth, { providers: [], redirectUris: [] });
  });

  it('a value is shown on one line, however it was typed', () => {
    assert.equal(refusal({ PORT: '80\n81"' }).message, 'PORT must be a whole number from 0 to 65535 (got "80\\n81\\"")');
  });

  it('never repeats a secret, whatever is wrong with it', () => {
    for (const secret of ['abcd', 'not a secret!', 'c2hvcnQ=', DEV_SECRET, 'ab'.repeat(32)]) {
      assert.ok(!refusal({ KEYCARD_SECRET: secret }).message.includes(secret), secret);
    }
  });

  it('the server prints the line, prefixed with keycard:, and exits non-zero', () => {
    const main = path.resolve(__dirname, '..', 'src', 'main.js');
    const run = spawnSync(process.execPath, [main], { env: { PATH: process.env.PATH, PORT: 'notaport', DATABASE_URL: ':memory:' }, cwd: path.resolve(__dirname, '..'), encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.equal(run.stderr, 'keycard: PORT must be a whole number from 0 to 65535 (got "notaport")\n');
  });
});
