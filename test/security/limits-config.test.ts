import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';

function refusedVariable(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes('\n'), 'one line');
    return error.variable;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

describe('hardening configuration', () => {
  it('rate limits and TLS have documented defaults', () => {
    const config = loadConfig({});
    assert.deepEqual(config.rateLimits, {
      loginPerAccount: 5,
      loginPerIp: 20,
      signupPerIp: 10,
      refreshPerIp: 60,
      oauthPerIp: 300,
      windowMs: 15 * 60_000,
      loginMaxBlockMs: 60 * 60_000,
    });
    assert.ok(Object.isFrozen(config.rateLimits));
    assert.equal(config.tls, null);
  });

  it('parses the limits, the window and the TLS files', () => {
    const config = loadConfig({
      LOGIN_LIMIT_PER_ACCOUNT: '3',
      LOGIN_LIMIT_PER_IP: '50',
      SIGNUP_LIMIT_PER_IP: '4',
      REFRESH_LIMIT_PER_IP: '100',
      RATE_LIMIT_WINDOW: '10m',
      LOGIN_BLOCK_MAX: '6h',
      TLS_CERT_FILE: '/etc/keycard/cert.pem',
      TLS_KEY_FILE: '/etc/keycard/key.pem',
    });
    assert.deepEqual(config.rateLimits, { loginPerAccount: 3, loginPerIp: 50, signupPerIp: 4, refreshPerIp: 100, oauthPerIp: 300, windowMs: 600_000, loginMaxBlockMs: 6 * 3_600_000 });
    assert.deepEqual(config.tls, { certFile: '/etc/keycard/cert.pem', keyFile: '/etc/keycard/key.pem' });
  });

  it('a bad limit, window or TLS pairing is refused, naming the variable', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ LOGIN_LIMIT_PER_ACCOUNT: '0' }, 'LOGIN_LIMIT_PER_ACCOUNT'],
      [{ LOGIN_LIMIT_PER_IP: 'many' }, 'LOGIN_LIMIT_PER_IP'],
      [{ SIGNUP_LIMIT_PER_IP: '-1' }, 'SIGNUP_LIMIT_PER_IP'],
      [{ REFRESH_LIMIT_PER_IP: '1.5' }, 'REFRESH_LIMIT_PER_IP'],
      [{ RATE_LIMIT_WINDOW: 'soon' }, 'RATE_LIMIT_WINDOW'],
      [{ RATE_LIMIT_WINDOW: '1h', LOGIN_BLOCK_MAX: '30m' }, 'LOGIN_BLOCK_MAX'],
      [{ TLS_CERT_FILE: '/etc/keycard/cert.pem' }, 'TLS_KEY_FILE'],
      [{ TLS_KEY_FILE: '/etc/keycard/key.pem' }, 'TLS_CERT_FILE'],
    ];
    for (const [env, variable] of cases) assert.equal(refusedVariable(env), variable, JSON.stringify(env));
  });
});
