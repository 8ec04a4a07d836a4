import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { withTestApp } from '../support/app';
import { post, uniqueEmail } from '../support/graphql';
import { countingHasher } from './counting-hasher';

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
const ROUNDS = 3;

/**
 * Timing is proved by counting, not by a stopwatch: both answers pay for exactly one argon2
 * verify with the same hasher and parameters (an unknown email against the dummy hash), so
 * nothing but the network can tell them apart, and a loaded machine cannot make this flake.
 */
describe('#27 login answers', () => {
  it('#27 an unknown email and a wrong password get the same code and message, and each costs exactly one argon2 verify (the dummy hash for the unknown email)', async () => {
    const hasher = countingHasher();
    // Limits out of the way: every attempt must reach the password check.
    await withTestApp({ LOGIN_LIMIT_PER_ACCOUNT: '1000', LOGIN_LIMIT_PER_IP: '1000' }, async (t) => {
      const email = uniqueEmail('timing');
      await t.app.services.accounts.createUser({ email, password: 'the real password of this user', role: 'USER' }, { ip: null, userAgent: 'test' }, null);
      const attempt = async (who: string) => {
        const before = { verifies: hasher.verifies, dummyVerifies: hasher.dummyVerifies };
        const result = await post(t.url, { query: LOGIN, variables: { input: { email: who, password: 'a wrong password' } } });
        const cost = { verifies: hasher.verifies - before.verifies, dummyVerifies: hasher.dummyVerifies - before.dummyVerifies };
        return { cost, error: result.errors?.[0] };
      };

      const answers = new Set<string>();
      // More than one round: the dummy hash is made on first use, and every later unknown email
      // must still pay for its verify.
      for (let round = 0; round < ROUNDS; round++) {
        const unknownEmail = await attempt(uniqueEmail('nobody'));
        const wrongPassword = await attempt(email);
        assert.deepEqual(unknownEmail.cost, { verifies: 0, dummyVerifies: 1 }, `round ${round}: an unknown email is checked against the dummy hash, once`);
        assert.deepEqual(wrongPassword.cost, { verifies: 1, dummyVerifies: 0 }, `round ${round}: a wrong password is checked against the user's hash, once`);
        answers.add(JSON.stringify(unknownEmail.error)).add(JSON.stringify(wrongPassword.error));
      }
      assert.equal(answers.size, 1, `different answers: ${[...answers].join(' / ')}`);
      assert.equal(JSON.parse([...answers][0]!).extensions.code, 'INVALID_CREDENTIALS');
      assert.equal(hasher.checks, 2 * ROUNDS, 'nothing else checked a password');
    }, { hasher });
  });

  it('#27 an account with no password (made by social login) answers like an unknown email, with one dummy argon2 verify', async () => {
    const hasher = countingHasher();
    await withTestApp({ LOGIN_LIMIT_PER_ACCOUNT: '1000', LOGIN_LIMIT_PER_IP: '1000' }, async (t) => {
      const email = uniqueEmail('passwordless');
      const id = crypto.randomUUID();
      await t.app.storage.oauth.createUserWithIdentity(
        { id, email, passwordHash: null, displayName: 'p', role: 'USER', createdAt: new Date(t.clock.now()), emailVerifiedAt: new Date(t.clock.now()) },
        { id: crypto.randomUUID(), userId: id, provider: 'acme', subject: id, email, emailVerified: true, createdAt: new Date(t.clock.now()) },
        { type: 'SIGNUP', userId: id },
      );
      const answers: string[] = [];
      for (const who of [uniqueEmail('nobody'), email]) {
        const before = { verifies: hasher.verifies, dummyVerifies: hasher.dummyVerifies };
        const result = await post(t.url, { query: LOGIN, variables: { input: { email: who, password: 'any password at all' } } });
        assert.deepEqual({ verifies: hasher.verifies - before.verifies, dummyVerifies: hasher.dummyVerifies - before.dummyVerifies }, { verifies: 0, dummyVerifies: 1 }, who);
        answers.push(JSON.stringify(result.errors?.[0]));
      }
      assert.equal(answers[0], answers[1]);
      assert.equal(JSON.parse(answers[0]!).extensions.code, 'INVALID_CREDENTIALS');
    }, { hasher });
  });
});
