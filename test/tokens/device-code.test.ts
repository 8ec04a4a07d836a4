import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { formatUserCode, hashDeviceCode, hashUserCode, looksLikeDeviceCode, mintDeviceCode, mintUserCode, normalizeUserCode, USER_CODE_ALPHABET } from '../../src/tokens/device-code';

describe('device and user codes (RFC 8628 §6.1)', () => {
  it("the alphabet is RFC 8628 §6.1's: 20 consonants, no vowels (no words, no O or I) and no digits (nothing to mistake L, S or Z for)", () => {
    assert.equal(USER_CODE_ALPHABET, 'BCDFGHJKLMNPQRSTVWXZ');
    assert.equal(new Set(USER_CODE_ALPHABET).size, 20);
    assert.doesNotMatch(USER_CODE_ALPHABET, /[AEIOUY0-9]/);
  });

  it('a user code is 8 characters of the alphabet, shown ABCD-EFGH, and drawn uniformly', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const code = mintUserCode();
      assert.match(code, /^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      for (const char of code) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    assert.equal(counts.size, 20, 'every letter appears');
    for (const [char, n] of counts) assert.ok(n > 600 && n < 1000, `${char} appeared ${n} times of ~800`);
    assert.equal(formatUserCode('BCDFGHJK'), 'BCDF-GHJK');
  });

  it('input is normalised: case, dashes and spaces ignored; anything else is no code', () => {
    for (const typed of ['BCDF-GHJK', 'bcdf-ghjk', 'bcdf ghjk', ' BcDf-GhJk ', 'BCDFGHJK', 'b-c-d-f-g-h-j-k']) assert.equal(normalizeUserCode(typed), 'BCDFGHJK', typed);
    for (const typed of ['BCDF-GHJ', 'BCDF-GHJKL', 'ABCD-EFGH', 'BCDF_GHJK', 'BCDF-GHJ0', '', 'B'.repeat(10_000)]) assert.equal(normalizeUserCode(typed), null, typed.slice(0, 20));
  });

  it('a device code carries 256 random bits; both codes are stored only as hashes (the user code keyed)', () => {
    const code = mintDeviceCode();
    assert.ok(looksLikeDeviceCode(code));
    assert.equal(Buffer.from(code.slice(4), 'base64url').length, 32);
    assert.notEqual(mintDeviceCode(), code);
    assert.ok(!looksLikeDeviceCode(`${code}x`) && !looksLikeDeviceCode(code.replace('kcd_', 'kcr_')));
    assert.notEqual(hashDeviceCode(code), code);
    const key = crypto.createSecretKey(crypto.randomBytes(32));
    const other = crypto.createSecretKey(crypto.randomBytes(32));
    assert.equal(hashUserCode(key, 'BCDFGHJK'), hashUserCode(key, 'BCDFGHJK'));
    assert.notEqual(hashUserCode(key, 'BCDFGHJK'), hashUserCode(other, 'BCDFGHJK'), 'no table of all 20^8 hashes can be built without the key');
  });
});
