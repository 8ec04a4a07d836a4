import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createArgon2Hasher, OWASP_ARGON2ID } from '../../src/auth/password';
import { startTestApp } from '../support/app';
import { post, uniqueEmail } from '../support/graphql';

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
const RUNS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('#27 login answers', () => {
  it('#27 unknown email and wrong password: same code, same message, similar time with the real argon2id parameters', async (ctx) => {
    // The production hasher, and limits out of the way: this measures the hash, not the limiter.
    const t = await startTestApp({ LOGIN_LIMIT_PER_ACCOUNT: '1000', LOGIN_LIMIT_PER_IP: '1000' }, { hasher: createArgon2Hasher(OWASP_ARGON2ID) });
    try {
      const email = uniqueEmail('timing');
      await t.app.services.accounts.createUser({ email, password: 'the real password of this user', role: 'USER' }, { ip: null, userAgent: 'test' }, null);
      const attempt = async (who: string) => {
        const started = process.hrtime.bigint();
        const result = await post(t.url, { query: LOGIN, variables: { input: { email: who, password: 'a wrong password' } } });
        return { ms: Number(process.hrtime.bigint() - started) / 1e6, error: result.errors?.[0] };
      };
      // Warm-up: the dummy hash is computed on first use, and the first requests pay for JIT.
      await attempt(uniqueEmail('nobody'));
      await attempt(email);

      const unknown: number[] = [];
      const wrong: number[] = [];
      const answers = new Set<string>();
      for (let i = 0; i < RUNS; i++) {
        // Alternate which goes first, so neither side always runs right after the other.
        const wrongFirst = i % 2 === 0 ? null : await attempt(email);
        const unknownEmail = await attempt(uniqueEmail('nobody'));
        const wrongPassword = wrongFirst ?? (await attempt(email));
        unknown.push(unknownEmail.ms);
        wrong.push(wrongPassword.ms);
        answers.add(JSON.stringify(unknownEmail.error)).add(JSON.stringify(wrongPassword.error));
      }
      assert.equal(answers.size, 1, `different answers: ${[...answers].join(' / ')}`);
      assert.equal(JSON.parse([...answers][0]!).extensions.code, 'INVALID_CREDENTIALS');
      const ratio = median(unknown) / median(wrong);
      ctx.diagnostic(`median unknown email ${median(unknown).toFixed(1)} ms, wrong password ${median(wrong).toFixed(1)} ms, ratio ${ratio.toFixed(2)}`);
      assert.ok(ratio > 0.5 && ratio < 2, `unknown ${median(unknown).toFixed(1)} ms vs wrong password ${median(wrong).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`);
      // The comparison means something only if a hash was paid for on both sides.
      assert.ok(median(unknown) > 2, `an unknown email answered in ${median(unknown).toFixed(1)} ms: no hash was computed`);
    } finally {
      await t.close();
    }
  });
});
