import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import { createAccessTokenService } from '../../src/tokens/access-token';
import { startKeyMaintenance } from '../../src/keys/key-maintenance';
import { describeKeys } from '../../src/keys/key-status';
import { createKeySet, DEFAULT_ACTIVATION_DELAY_MS, ON_DEMAND_RELOAD_INTERVAL_MS, type KeySetOptions } from '../../src/keys/key-set';
import { SigningKeyDecryptionError } from '../../src/keys/signing-keys';
import { ConfigError, loadConfig } from '../../src/config';
import type { SigningKeyRepository } from '../../src/storage/signing-keys';
import { ManualClock, MINUTE, SECOND } from '../support/clock';
import { openTestStorage } from '../support/storage';
import { decodeSegment } from '../support/tokens';

const TTL = 15 * MINUTE;
const TOLERANCE = 5 * SECOND;
const WINDOW = TTL + TOLERANCE;
const HOUR = 60 * MINUTE;

/** A repository that counts reads, to prove what does not touch storage. */
function countingRepository(inner: SigningKeyRepository) {
  const counts = { list: 0 };
  const repository: SigningKeyRepository = {
    ...inner,
    list: () => {
      counts.list += 1;
      return inner.list();
    },
  };
  return { repository, counts };
}

/** Every storage the tests opened, closed after the file (a PostgreSQL pool would keep the process alive). */
const openedStorages: Array<{ close(): Promise<void> }> = [];
after(() => Promise.all(openedStorages.splice(0).map((opened) => opened.close())));

async function storage() {
  const opened = await openTestStorage();
  openedStorages.push(opened);
  return { storage: opened, repository: opened.signingKeys, encryptionKey: crypto.randomBytes(32) };
}

function keySetOn(store: Awaited<ReturnType<typeof storage>>, clock: ManualClock, overrides: Partial<KeySetOptions> = {}) {
  return createKeySet({ repository: store.repository, encryptionKey: store.encryptionKey, clock, algorithm: 'ES256', verifyWindowMs: WINDOW, ...overrides });
}

function tokensOf(keySet: Awaited<ReturnType<typeof createKeySet>>, clock: ManualClock) {
  return createAccessTokenService({ keySet, clock, issuer: 'keycard-test', audience: 'keycard-test-api', ttlMs: TTL, clockToleranceMs: TOLERANCE });
}

const subject = { userId: 'user-1', sessionId: 'session-1', role: 'USER' as const };
const kids = (keySet: { jwks(): { keys: Array<{ kid: string }> } }) => keySet.jwks().keys.map((k) => k.kid).sort();

describe('key set', () => {
  it('the first load creates an ES256 key that signs at once and is published with kid, alg and use', async () => {
    const keySet = await keySetOn(await storage(), new ManualClock());
    const key = keySet.signingKey();
    assert.equal(key.alg, 'ES256');
    const [published, ...others] = keySet.jwks().keys;
    assert.deepEqual(others, []);
    assert.deepEqual({ kid: published!.kid, alg: published!.alg, use: published!.use, kty: published!.kty }, { kid: key.kid, alg: 'ES256', use: 'sig', kty: 'EC' });
    assert.equal('d' in published!, false, 'no private member in the JWKS');
  });

  it('a rotated key is published at once but signs only after the activation delay', async () => {
    const clock = new ManualClock();
    const keySet = await keySetOn(await storage(), clock);
    const old = keySet.signingKey().kid;
    const added = await keySet.rotate();

    assert.deepEqual(kids(keySet), [old, added].sort());
    assert.ok(keySet.find(added), 'a pending key verifies: another instance may already sign with it');
    clock.advance(DEFAULT_ACTIVATION_DELAY_MS - 1);
    assert.equal(keySet.signingKey().kid, old);
    clock.advance(1);
    assert.equal(keySet.signingKey().kid, added);
  });

  it('the old key verifies until ACCESS_TOKEN_TTL + tolerance after the new key activates, then leaves the set without a reload', async () => {
    const clock = new ManualClock();
    const keySet = await keySetOn(await storage(), clock);
    const old = keySet.signingKey().kid;
    const added = await keySet.rotate({ activatesAt: clock.now() + MINUTE });

    clock.advance(MINUTE + WINDOW - 1);
    assert.ok(keySet.find(old));
    assert.deepEqual(kids(keySet), [old, added].sort());
    clock.advance(1);
    assert.equal(keySet.find(old), undefined);
    assert.deepEqual(kids(keySet), [added]);
  });

  it('a reload records the retirement at the computed time, and a restarted set never brings the key back', async () => {
    const store = await storage();
    const clock = new ManualClock();
    const keySet = await keySetOn(store, clock);
    const old = keySet.signingKey().kid;
    const activatesAt = clock.now() + MINUTE;
    await keySet.rotate({ activatesAt });

    clock.advance(3 * HOUR);
    await keySet.reload();
    const row = (await store.repository.list()).find((k) => k.kid === old)!;
    assert.equal(row.retiredAt?.getTime(), activatesAt + WINDOW, 'the time the key stopped being needed, not the time of the reload');

    const restarted = await keySetOn(store, clock);
    assert.equal(restarted.find(old), undefined);
    assert.deepEqual(describeKeys(await store.repository.list(), clock.now(), WINDOW).map((k) => k.state), ['retired', 'active']);
  });

  it('keys:list states follow the times: pending, active, verifying-only, retired', async () => {
    const store = await storage();
    const clock = new ManualClock();
    const keySet = await keySetOn(store, clock);
    await keySet.rotate();
    const states = async () => describeKeys(await store.repository.list(), clock.now(), WINDOW).map((k) => k.state);

    assert.deepEqual(await states(), ['active', 'pending']);
    clock.advance(DEFAULT_ACTIVATION_DELAY_MS);
    assert.deepEqual(await states(), ['verifying-only', 'active']);
    clock.advance(WINDOW);
    assert.deepEqual(await states(), ['retired', 'active']);
  });

  it('a token of the old key keeps verifying across the rotation, beside tokens of the new key', async () => {
    const clock = new ManualClock();
    const keySet = await keySetOn(await storage(), clock);
    const tokens = tokensOf(keySet, clock);
    const before = tokens.issue(subject).token;
    await keySet.rotate();
    clock.advance(DEFAULT_ACTIVATION_DELAY_MS);
    const after = tokens.issue(subject).token;

    assert.notEqual(decodeSegment(before, 0).kid, decodeSegment(after, 0).kid);
    assert.equal(tokens.verify(before).ok, true);
    assert.equal(tokens.verify(after).ok, true);
  });

  it('an unknown kid is refused; a flood of forged kids reads the key table at most once per second, and never with the kid', async () => {
    const clock = new ManualClock();
    const store = await storage();
    const { repository, counts } = countingRepository(store.repository);
    const keySet = await createKeySet({ repository, encryptionKey: store.encryptionKey, clock, algorithm: 'ES256', verifyWindowMs: WINDOW });
    const tokens = tokensOf(keySet, clock);
    const foreign = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const forged = (kid: string) =>
      jwt.sign({ iss: 'keycard-test', aud: 'keycard-test-api', sub: 'user-1', sid: 'session-1', role: 'USER', jti: 'j' }, foreign, {
        algorithm: 'ES256',
        header: { alg: 'ES256', typ: 'at+jwt', kid },
        expiresIn: 60,
      });
    const readsBefore = counts.list;

    for (const kid of ['not-ours', '../../dev/null', "' OR 1=1 --", 'https://attacker.example/jwks.json']) {
      assert.deepEqual(tokens.verify(forged(kid)), { ok: false, reason: 'TOKEN_INVALID' }, kid);
      assert.equal(keySet.find(kid), undefined);
    }
    // The synchronous check never reads storage.
    assert.equal(counts.list, readsBefore);

    // The request path's check may reload, but 50 forged tokens at once share one read...
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => tokens.verifyWithKeyRefresh(forged(`forged-${i}`))));
    assert.ok(answers.every((answer) => !answer.ok && answer.reason === 'TOKEN_INVALID'));
    assert.equal(counts.list, readsBefore + 1);
    // ...and more of them within the second read nothing more.
    clock.advance(ON_DEMAND_RELOAD_INTERVAL_MS - 1);
    assert.deepEqual(await tokens.verifyWithKeyRefresh(forged('later')), { ok: false, reason: 'TOKEN_INVALID' });
    assert.equal(counts.list, readsBefore + 1);
    clock.advance(1);
    await tokens.verifyWithKeyRefresh(forged('a second later'));
    assert.equal(counts.list, readsBefore + 2);
  });

  it('a key another instance activated at once (keys:rotate --activate-in 0) verifies here on first sight, before the next reload', async () => {
    const clock = new ManualClock();
    const store = await storage();
    const serving = await keySetOn(store, clock);
    const operator = await keySetOn(store, clock);
    clock.advance(HOUR);
    const kid = await operator.rotate({ activatesAt: clock.now() });
    const token = tokensOf(operator, clock).issue(subject).token;
    assert.equal(serving.find(kid), undefined, 'not reloaded yet');

    const servingTokens = tokensOf(serving, clock);
    assert.deepEqual(servingTokens.verify(token), { ok: false, reason: 'TOKEN_INVALID' });
    const verified = await servingTokens.verifyWithKeyRefresh(token);
    assert.equal(verified.ok, true);
    assert.equal(verified.ok && verified.claims.kid, kid);
    // The reload also moved signing to the newest key here.
    assert.equal(serving.signingKey().kid, kid);
  });

  it('a key stored under another KEYCARD_SECRET stops the load with SigningKeyDecryptionError', async () => {
    const store = await storage();
    const clock = new ManualClock();
    await keySetOn(store, clock);
    await assert.rejects(keySetOn(store, clock, { encryptionKey: crypto.randomBytes(32) }), SigningKeyDecryptionError);
  });

  for (const alg of ['RS256', 'PS256'] as const) {
    it(`JWT_ALG=${alg} keys sign tokens of that algorithm, and an ES256 token is refused by the ${alg} key`, async () => {
      const clock = new ManualClock();
      const keySet = await keySetOn(await storage(), clock, { algorithm: alg });
      const tokens = tokensOf(keySet, clock);
      const token = tokens.issue(subject).token;
      assert.equal(decodeSegment(token, 0).alg, alg);
      assert.equal(keySet.jwks().keys[0]!.kty, 'RSA');
      assert.equal(tokens.verify(token).ok, true);

      const forged = jwt.sign({ iss: 'keycard-test', aud: 'keycard-test-api', sub: 'u', sid: 's', role: 'ADMIN', jti: 'j' }, crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, {
        algorithm: 'ES256',
        header: { alg: 'ES256', typ: 'at+jwt', kid: keySet.signingKey().kid },
        expiresIn: 60,
      });
      assert.deepEqual(tokens.verify(forged), { ok: false, reason: 'TOKEN_INVALID' });
    });
  }

  it('a changed JWT_ALG publishes a key of the new algorithm that signs after the delay', async () => {
    const store = await storage();
    const clock = new ManualClock();
    const before = await keySetOn(store, clock);
    const old = before.signingKey().kid;
    const after = await keySetOn(store, clock, { algorithm: 'RS256' });

    assert.deepEqual(after.jwks().keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
    assert.equal(after.signingKey().kid, old);
    clock.advance(DEFAULT_ACTIVATION_DELAY_MS);
    assert.equal(after.signingKey().alg, 'RS256');
  });

  it('automatic rotation adds one key per interval, even when two instances find it due at once', async () => {
    const store = await storage();
    const clock = new ManualClock();
    const a = await keySetOn(store, clock);
    const b = await keySetOn(store, clock);
    assert.equal(await a.rotateIfOlderThan(HOUR), null, 'not due yet');

    clock.advance(HOUR);
    const rotated = await a.rotateIfOlderThan(HOUR);
    assert.ok(rotated);
    assert.equal(await b.rotateIfOlderThan(HOUR), null, 'b had not reloaded, and still adds nothing');
    assert.equal((await store.repository.list()).length, 2);
    assert.deepEqual(kids(b), kids(a));
  });
});

describe('key maintenance', () => {
  /** Lets a reload started by a timer finish (SQLite answers synchronously; only promise turns remain). */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  function collectingLogger() {
    const lines: Array<{ level: number; msg: string }> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as { level: number; msg: string });
        done();
      },
    });
    return { logger: pino({ level: 'info' }, stream), lines };
  }

  it('each KEYS_RELOAD_INTERVAL brings in a key rotated by another instance, and stop() ends the timer', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const store = await storage();
    const clock = new ManualClock();
    const serving = await keySetOn(store, clock);
    const operator = await keySetOn(store, clock);
    const maintenance = startKeyMaintenance({ keySet: serving, logger: collectingLogger().logger, reloadIntervalMs: 30 * SECOND, rotationIntervalMs: null });

    const first = await operator.rotate();
    t.mock.timers.tick(30 * SECOND - 1);
    await settle();
    assert.equal(serving.find(first), undefined);
    t.mock.timers.tick(1);
    await maintenance.runOnce();
    assert.ok(serving.find(first));

    await maintenance.stop();
    const second = await operator.rotate();
    t.mock.timers.tick(60 * SECOND);
    await settle();
    assert.equal(serving.find(second), undefined);
  });

  it('a failed reload is logged and the current key set stays in use', async () => {
    const store = await storage();
    const clock = new ManualClock();
    let failing = false;
    const flaky = await createKeySet({
      repository: { ...store.repository, list: () => (failing ? Promise.reject(new Error('database is locked')) : store.repository.list()) },
      encryptionKey: store.encryptionKey,
      clock,
      algorithm: 'ES256',
    });
    const kid = flaky.signingKey().kid;
    const { logger, lines } = collectingLogger();
    const maintenance = startKeyMaintenance({ keySet: flaky, logger, reloadIntervalMs: HOUR, rotationIntervalMs: null });
    failing = true;
    await maintenance.runOnce();
    await maintenance.stop();

    assert.equal(flaky.signingKey().kid, kid);
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [[50, 'signing key reload failed; keeping the current key set']]);
  });

  it('with KEY_ROTATION_INTERVAL set, a run rotates once the newest key is that old', async () => {
    const store = await storage();
    const clock = new ManualClock();
    const keySet = await keySetOn(store, clock);
    const { logger, lines } = collectingLogger();
    const maintenance = startKeyMaintenance({ keySet, logger, reloadIntervalMs: HOUR, rotationIntervalMs: 24 * HOUR });

    await maintenance.runOnce();
    assert.equal(keySet.jwks().keys.length, 1);
    clock.advance(24 * HOUR);
    await maintenance.runOnce();
    await maintenance.stop();
    assert.equal(keySet.jwks().keys.length, 2);
    assert.deepEqual(lines.map((l) => l.msg), ['signing key rotated automatically (KEY_ROTATION_INTERVAL)']);
  });
});

describe('signing key configuration', () => {
  const load = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

  it('defaults to ES256 keys, a 30 s reload and no automatic rotation', () => {
    const config = load({});
    assert.deepEqual([config.jwtAlgorithm, config.keysReloadIntervalMs, config.keyRotationIntervalMs], ['ES256', 30 * SECOND, null]);
  });

  it('reads JWT_ALG, KEYS_RELOAD_INTERVAL and KEY_ROTATION_INTERVAL', () => {
    const config = load({ JWT_ALG: 'PS256', KEYS_RELOAD_INTERVAL: '2m', KEY_ROTATION_INTERVAL: '30d' });
    assert.deepEqual([config.jwtAlgorithm, config.keysReloadIntervalMs, config.keyRotationIntervalMs], ['PS256', 2 * MINUTE, 30 * 24 * HOUR]);
    assert.equal(load({ KEY_ROTATION_INTERVAL: 'off' }).keyRotationIntervalMs, null);
  });

  for (const [variable, value, message] of [
    ['JWT_ALG', 'HS256', 'JWT_ALG must be one of ES256, RS256, PS256 (got "HS256")'],
    ['JWT_ALG', 'none', 'JWT_ALG must be one of ES256, RS256, PS256 (got "none")'],
    ['KEYS_RELOAD_INTERVAL', '100ms', 'KEYS_RELOAD_INTERVAL must be a duration from 1s to 24d, such as 30s, 5m or 1h (got "100ms")'],
    ['KEYS_RELOAD_INTERVAL', '30d', 'KEYS_RELOAD_INTERVAL must be a duration from 1s to 24d, such as 30s, 5m or 1h (got "30d")'],
    ['KEY_ROTATION_INTERVAL', '10m', 'KEY_ROTATION_INTERVAL must be off or a duration of at least 1h, such as 1d, 7d or 30d (got "10m")'],
  ] as const) {
    it(`refuses ${variable}=${value} with one line naming the variable`, () => {
      assert.throws(() => load({ [variable]: value }), (error: unknown) => error instanceof ConfigError && error.message === message);
    });
  }
});
