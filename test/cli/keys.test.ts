import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DEFAULT_ACTIVATION_DELAY_MS } from '../../src/keys/key-set';
import { ManualClock, MINUTE, HOUR, SECOND } from '../support/clock';
import { TEST_SECRET } from '../support/app';
import { createCliWorkspace, type CliWorkspace } from './run-cli';

/** keys:list rows as { kid: state }, header checked. */
function states(stdout: string): Record<string, string> {
  const [header, ...rows] = stdout.trimEnd().split('\n');
  assert.deepEqual(header!.split(/\s+/), ['KID', 'ALG', 'STATE', 'CREATED', 'ACTIVATES', 'RETIRES']);
  return Object.fromEntries(rows.map((row) => row.split(/\s+/)).map(([kid, , state]) => [kid!, state!]));
}

const ROTATED = /^published (\S+) \((ES256)\); it signs from (\S+); (\S+) keeps verifying until (\S+)\n$/;

describe('keys:rotate and keys:list', () => {
  let cli: CliWorkspace;
  beforeEach(async () => {
    cli = await createCliWorkspace();
  });
  afterEach(() => cli.remove());

  it('keys:rotate publishes a key that a running server serves at its next reload and signs with after 10 minutes', async () => {
    const t = await cli.startApp();
    try {
      const current = t.app.keySet.signingKey().kid;
      const startedAt = Date.now();
      const result = await cli.run(['keys:rotate']);
      const endedAt = Date.now();
      assert.equal(result.code, 0, result.stderr);
      const [, added, , signsFrom, previous, verifiesUntil] = ROTATED.exec(result.stdout) ?? assert.fail(result.stdout);
      assert.equal(previous, current);
      const activation = Date.parse(signsFrom!);
      // The CLI read its clock between our two readings, and prints whole seconds (truncated).
      assert.ok(activation >= startedAt + DEFAULT_ACTIVATION_DELAY_MS - SECOND && activation <= endedAt + DEFAULT_ACTIVATION_DELAY_MS, signsFrom);
      assert.equal(Date.parse(verifiesUntil!), activation + t.config.accessTokenTtlMs + t.config.clockToleranceMs);

      await t.app.keySet.reload();
      assert.deepEqual(t.app.keySet.jwks().keys.map((k) => k.kid).sort(), [current, added!].sort());
      assert.equal(t.app.keySet.signingKey().kid, current);
      t.clock.set(activation + SECOND); // keys:rotate prints whole seconds
      assert.equal(t.app.keySet.signingKey().kid, added);
    } finally {
      await t.close();
    }
  });

  it('--activate-in 0 signs at once, and a malformed duration exits 2', async () => {
    await cli.storeFirstSigningKey();
    const bad = await cli.run(['keys:rotate', '--activate-in', 'soon']);
    assert.deepEqual(bad, { code: 2, stdout: '', stderr: 'keycard keys:rotate: --activate-in expects a duration like 10m, 1h or 0 (at most 30 days), got "soon"\n' });
    const result = await cli.run(['keys:rotate', '--activate-in', '0']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^published \S+ \(ES256\); it signs from now; \S+ keeps verifying until \S+\n$/);
  });

  it('with another KEYCARD_SECRET, keys:rotate adds nothing and says which key it cannot open', async () => {
    await cli.storeFirstSigningKey();
    const before = await cli.run(['keys:list']);
    const otherSecret = TEST_SECRET.split('').reverse().join('');
    const result = await cli.run(['keys:rotate'], { env: { KEYCARD_SECRET: otherSecret } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^keycard keys:rotate: signing key \S+ cannot be decrypted: KEYCARD_SECRET is not the secret it was stored with\n$/);
    assert.deepEqual(Object.keys(states((await cli.run(['keys:list'])).stdout)), Object.keys(states(before.stdout)));
  });
});

describe('keys:list', () => {
  let cli: CliWorkspace;
  beforeEach(async () => {
    cli = await createCliWorkspace();
  });
  afterEach(() => cli.remove());

  it('shows each state, computed from the times at the moment it runs', async () => {
    // A server whose clock stands two hours back lays out a history that has played out by now.
    const now = Date.now();
    const t = await cli.startApp(new ManualClock(now - 2 * HOUR));
    let kids: Record<string, string>;
    try {
      const retired = t.app.keySet.signingKey().kid;
      const verifying = await t.app.keySet.rotate({ activatesAt: now - 2 * HOUR + MINUTE });
      const active = await t.app.keySet.rotate({ activatesAt: now - MINUTE });
      const pending = await t.app.keySet.rotate({ activatesAt: now + HOUR });
      kids = { [retired]: 'retired', [verifying]: 'verifying-only', [active]: 'active', [pending]: 'pending' };
    } finally {
      await t.close();
    }
    const result = await cli.run(['keys:list']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(states(result.stdout), kids);
  });
});
