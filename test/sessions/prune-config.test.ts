import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';
import { DAY, HOUR, MINUTE } from '../support/clock';

describe('PRUNE_INTERVAL and AUDIT_RETENTION', () => {
  it('default to one hour and 90 days', () => {
    const config = loadConfig({});
    assert.deepEqual({ prune: config.pruneIntervalMs, retention: config.auditRetentionMs }, { prune: HOUR, retention: 90 * DAY });
  });

  it('accept durations like 30m and 365d', () => {
    const config = loadConfig({ PRUNE_INTERVAL: '30m', AUDIT_RETENTION: '365d' });
    assert.deepEqual({ prune: config.pruneIntervalMs, retention: config.auditRetentionMs }, { prune: 30 * MINUTE, retention: 365 * DAY });
  });

  for (const [variable, value] of [
    ['PRUNE_INTERVAL', 'often'],
    ['PRUNE_INTERVAL', '30d'],
    ['PRUNE_INTERVAL', '0'],
    ['AUDIT_RETENTION', 'forever'],
    ['AUDIT_RETENTION', '-5d'],
  ] as const) {
    it(`${variable}=${value} stops start-up with a message naming ${variable}`, () => {
      assert.throws(
        () => loadConfig({ [variable]: value }),
        (error: unknown) => error instanceof ConfigError && error.variable === variable && error.message.startsWith(`${variable} must be `),
      );
    });
  }
});
