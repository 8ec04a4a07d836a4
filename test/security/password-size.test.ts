import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPlausiblePassword, parseNewPassword, PASSWORD_MAX } from '../../src/accounts/account.input';
import { ChangePasswordDocument, LoginDocument, SignupDocument } from '../../src/client/generated/graphql';
import { KeycardError } from '../../src/errors';
import { startTestApp } from '../support/app';
import { assertErrorCode, call, PASSWORD, signup, uniqueEmail } from '../support/graphql';
import { countingHasher } from './counting-hasher';

// 50,000 characters: far over the password rule, well under the 100 KB body limit, so the rule
// (not the body limit) is what answers.
const OVERSIZED = 'x'.repeat(50_000);

function assertRefusedOnField(action: () => unknown, field: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof KeycardError);
    assert.deepEqual(error.extensions, { code: 'BAD_USER_INPUT', field });
    return true;
  });
}

describe('password size rule', () => {
  it('refuses a 1 MB password by its length alone: BAD_USER_INPUT for a new password, implausible for a login', () => {
    const megabyte = 'x'.repeat(1024 * 1024);
    assertRefusedOnField(() => parseNewPassword(megabyte), 'password');
    assertRefusedOnField(() => parseNewPassword(megabyte, 'newPassword'), 'newPassword');
    assert.equal(isPlausiblePassword(megabyte), false);
  });

  it('counts code points: 256 emoji pass, 257 do not; 64 ASCII characters pass', () => {
    assert.equal(parseNewPassword('🔑'.repeat(PASSWORD_MAX)), '🔑'.repeat(PASSWORD_MAX));
    assertRefusedOnField(() => parseNewPassword('🔑'.repeat(PASSWORD_MAX + 1)), 'password');
    assert.equal(parseNewPassword('p'.repeat(64)), 'p'.repeat(64));
    assert.equal(isPlausiblePassword('🔑'.repeat(PASSWORD_MAX)), true);
    assert.equal(isPlausiblePassword('🔑'.repeat(PASSWORD_MAX + 1)), false);
  });
});

describe('an oversized password over HTTP is never hashed', () => {
  it('signup answers BAD_USER_INPUT on field password, login INVALID_CREDENTIALS, changePassword BAD_USER_INPUT, with no argon2 call', async () => {
    const hasher = countingHasher();
    const t = await startTestApp({}, { hasher });
    try {
      const email = uniqueEmail();
      const { accessToken } = await signup(t.url, { email });
      const before = { checks: hasher.checks, hashes: hasher.hashes };

      assertErrorCode(await call(t.url, SignupDocument, { input: { email: uniqueEmail(), password: OVERSIZED } }), 'BAD_USER_INPUT', { field: 'password' });
      assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: OVERSIZED } }), 'INVALID_CREDENTIALS');
      assertErrorCode(await call(t.url, LoginDocument, { input: { email: uniqueEmail('nobody'), password: OVERSIZED } }), 'INVALID_CREDENTIALS');
      assertErrorCode(
        await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: OVERSIZED }, { accessToken }),
        'BAD_USER_INPUT',
        { field: 'newPassword' },
      );
      assert.deepEqual({ checks: hasher.checks, hashes: hasher.hashes }, before, 'no password was checked or hashed');

      // The same requests with a plausible password do reach argon2: the counter is live.
      assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: 'wrong password' } }), 'INVALID_CREDENTIALS');
      assert.equal(hasher.checks, before.checks + 1);
    } finally {
      await t.close();
    }
  });
});
