import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { keyStateAt, scheduleKeys, type KeyTimes } from '../../src/keys/key-schedule';
import { createKeySet, DEFAULT_ACTIVATION_DELAY_MS } from '../../src/keys/key-set';
import { ManualClock, MINUTE, SECOND } from '../support/clock';
import { openTestStorage } from '../support/storage';

const WINDOW = 15 * MINUTE + 5 * SECOND;

function statesAt(keys: KeyTimes[], now: number): Record<string, string> {
  return Object.fromEntries(scheduleKeys(keys, now, WINDOW).map((s) => [s.key.kid, keyStateAt(s, now)]));
}

describe('key schedule: the newest rotation wins', () => {
  it('keys rotated in order hand over signing at each activation, as before', () => {
    const keys: KeyTimes[] = [
      { kid: 'a', createdAt: 0, activatesAt: 0, retiredAt: null },
      { kid: 'b', createdAt: 1, activatesAt: 10 * MINUTE, retiredAt: null },
    ];
    assert.deepEqual(statesAt(keys, 5 * MINUTE), { a: 'active', b: 'pending' });
    assert.deepEqual(statesAt(keys, 10 * MINUTE), { a: 'verifying-only', b: 'active' });
    assert.deepEqual(statesAt(keys, 10 * MINUTE + WINDOW), { a: 'retired', b: 'active' });
  });

  it('an immediate rotation while an earlier one is pending supersedes the pending key, which never signs', () => {
    const keys: KeyTimes[] = [
      { kid: 'old', createdAt: 0, activatesAt: 0, retiredAt: null },
      { kid: 'pending', createdAt: MINUTE, activatesAt: 11 * MINUTE, retiredAt: null },
      { kid: 'now', createdAt: 2 * MINUTE, activatesAt: 2 * MINUTE, retiredAt: null },
    ];
    assert.deepEqual(statesAt(keys, 2 * MINUTE), { old: 'verifying-only', pending: 'retired', now: 'active' });
    // Past the moment the older rotation would have activated, the newest key still signs.
    assert.deepEqual(statesAt(keys, 11 * MINUTE), { old: 'verifying-only', pending: 'retired', now: 'active' });
    assert.deepEqual(statesAt(keys, 2 * MINUTE + WINDOW), { old: 'retired', pending: 'retired', now: 'active' });
  });
});

describe('key set: keys:rotate --activate-in 0 while a rotation is pending', () => {
  it('the key meant to sign at once keeps signing after the older pending key was due, and the pending key leaves the JWKS', async () => {
    const storage = await openTestStorage();
    const clock = new ManualClock();
    const options = { repository: storage.signingKeys, encryptionKey: crypto.randomBytes(32), clock, algorithm: 'ES256' as const, verifyWindowMs: WINDOW };
    const keySet = await createKeySet(options);
    const first = keySet.signingKey().kid;
    const pending = await keySet.rotate();
    clock.advance(MINUTE);
    const immediate = await keySet.rotate({ activatesAt: clock.now() });

    assert.equal(keySet.signingKey().kid, immediate);
    assert.equal(keySet.find(pending), undefined, 'a key that never signed verifies nothing');
    assert.deepEqual(keySet.jwks().keys.map((k) => k.kid).sort(), [first, immediate].sort());

    clock.advance(DEFAULT_ACTIVATION_DELAY_MS);
    assert.equal(keySet.signingKey().kid, immediate, 'the older rotation does not take over when its time comes');
    // Another instance that loads the set from storage reaches the same answer.
    const other = await createKeySet(options);
    assert.equal(other.signingKey().kid, immediate);
    await storage.close();
  });
});
