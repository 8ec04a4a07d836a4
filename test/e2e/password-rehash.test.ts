import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LoginDocument } from '../../src/client/generated/graphql';
import { createArgon2Hasher, FAST_TEST_ARGON2ID, OWASP_ARGON2ID } from '../../src/accounts/password';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, PASSWORD, signup, uniqueEmail } from '../support/graphql';

/** The PHC prefix of a hash made with the test app's parameters. */
const CURRENT = `$argon2id$v=19$m=${FAST_TEST_ARGON2ID.memoryCost},t=${FAST_TEST_ARGON2ID.timeCost},p=${FAST_TEST_ARGON2ID.parallelism}$`;

describe('password hashes made with older parameters', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const storedHash = async (email: string) => (await t.app.storage.users.findByEmail(email))!.passwordHash;

  /** A user whose hash was made with other argon2id parameters, as before a parameter change. */
  async function userWithOldHash() {
    const email = uniqueEmail();
    await signup(t.url, { email });
    const old = await createArgon2Hasher({ ...FAST_TEST_ARGON2ID, memoryCost: FAST_TEST_ARGON2ID.memoryCost * 2 }).hash(PASSWORD);
    const user = (await t.app.storage.users.findByEmail(email))!;
    assert.equal(await t.app.storage.users.upgradePasswordHash(user.id, user.passwordHash!, old), true);
    return { email, old };
  }

  it('are replaced at the next successful login by a hash of the same password with the current parameters', async () => {
    const { email, old } = await userWithOldHash();
    const first = await call(t.url, LoginDocument, { input: { email, password: PASSWORD } });
    assert.equal(first.errors, undefined);
    const upgraded = (await storedHash(email))!;
    assert.notEqual(upgraded, old);
    assert.ok(upgraded.startsWith(CURRENT), upgraded);
    const second = await call(t.url, LoginDocument, { input: { email, password: PASSWORD } });
    assert.equal(second.errors, undefined);
    assert.equal(await storedHash(email), upgraded, 'a current hash is left alone');
  });

  it('are kept after a wrong password: INVALID_CREDENTIALS and no write', async () => {
    const { email, old } = await userWithOldHash();
    assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: 'not the password at all' } }), 'INVALID_CREDENTIALS');
    assert.equal(await storedHash(email), old);
  });

  it('needsRehash tells the production parameters from any other', async () => {
    const production = createArgon2Hasher(OWASP_ARGON2ID, 1);
    const fast = createArgon2Hasher(FAST_TEST_ARGON2ID, 1);
    const fastHash = await fast.hash(PASSWORD);
    assert.equal(fast.needsRehash(fastHash), false);
    assert.equal(production.needsRehash(fastHash), true);
    assert.equal(production.needsRehash('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA'), true);
    assert.equal(production.needsRehash('$argon2id$v=19$m=12288,t=3,p=1$c2FsdHNhbHQ$aGFzaA'), false);
    assert.equal(production.needsRehash('not a hash'), true);
  });
});
