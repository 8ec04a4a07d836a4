import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, DEV_SECRET, loadConfig } from '../src/config';

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
    assert.ok(Object.isFrozen(config));
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
      assert.ok(error.message.startsWith(`${variable}:`));
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
    assert.match(stderr, /^keycard: KEYCARD_SECRET: required in production/);
  });
});
