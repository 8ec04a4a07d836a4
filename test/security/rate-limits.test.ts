import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withTestApp, type TestApp } from '../support/app';
import { assertErrorCode, PASSWORD, post, signup, uniqueEmail } from '../support/graphql';
import { createSharedTestDatabase } from '../support/shared-database';
import { countingHasher, type CountingHasher } from './counting-hasher';

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
const WRONG = 'not the password at all';
const WINDOW_SECONDS = 15 * 60;

function loginAs(t: TestApp, email: string, password: string, headers: Record<string, string> = {}) {
  return post(t.url, { query: LOGIN, variables: { input: { email, password } } }, headers);
}

/** `count` aliased login fields in one mutation; `passwordOf(i)` chooses each alias's password. */
function aliasedLogins(count: number, email: string, passwordOf: (i: number) => string) {
  const fields = Array.from({ length: count }, (_, i) => `a${i}: login(input: {email: ${JSON.stringify(email)}, password: ${JSON.stringify(passwordOf(i))}}) { accessToken }`);
  return { query: `mutation { ${fields.join(' ')} }` };
}

function errorCodes(result: { errors?: Array<{ extensions?: Record<string, unknown> }> }): unknown[] {
  return (result.errors ?? []).map((e) => e.extensions?.code);
}

async function rateLimitedEvents(t: TestApp) {
  return (await t.app.audit.page({ first: 100, type: 'RATE_LIMITED' })).rows;
}

function withApp<T>(env: Record<string, string>, run: (t: TestApp, hasher: CountingHasher) => Promise<T>): Promise<T> {
  const hasher = countingHasher();
  return withTestApp(env, (t) => run(t, hasher), { hasher });
}

describe('#24 aliased logins', () => {
  it('#24 50 aliased logins are refused before execution: no password is checked, no token returned', () =>
    withApp({}, async (t, hasher) => {
      const { user } = await signup(t.url, { email: uniqueEmail() });
      const email = user.email!;
      const result = await post(t.url, aliasedLogins(50, email, (i) => (i === 49 ? PASSWORD : WRONG)));
      assert.equal(result.status, 400);
      assertErrorCode(result, 'BAD_USER_INPUT');
      assert.match(result.errors![0]!.message, /alias/i);
      assert.equal(hasher.checks, 0);
      assert.doesNotMatch(result.text, /accessToken/);
    }));

  it('#24 every aliased login counts: repeated requests of 15 aliases check at most LOGIN_LIMIT_PER_ACCOUNT passwords, and the right one past the limit gets no token', () =>
    withApp({}, async (t, hasher) => {
      const { user } = await signup(t.url, { email: uniqueEmail() });
      const email = user.email!;
      const codes: unknown[] = [];
      for (let request = 0; request < 10; request++) {
        const result = await post(t.url, aliasedLogins(15, email, (i) => (i === 14 ? PASSWORD : WRONG)));
        assert.doesNotMatch(result.text, /"accessToken":"/, `request ${request} returned a token`);
        codes.push(...errorCodes(result));
      }
      assert.ok(hasher.checks <= 5, `${hasher.checks} passwords checked`);
      assert.equal(codes.filter((c) => c === 'INVALID_CREDENTIALS').length, hasher.checks);
      assert.equal(codes.at(-1), 'RATE_LIMITED');
      // Still refused, one field at a time, with the right password alone.
      assertErrorCode(await loginAs(t, email, PASSWORD), 'RATE_LIMITED');
      assert.ok(hasher.checks <= 5);
    }));

  it('#24 the limit is taken per call before the password check: 20 concurrent attempts check at most 5 passwords', () =>
    withApp({}, async (t, hasher) => {
      const { user } = await signup(t.url, { email: uniqueEmail() });
      const origin = { ip: '198.51.100.1', userAgent: 'test' };
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () => t.app.services.accounts.login({ email: user.email!, password: WRONG }, origin, { cookie: false })),
      );
      const codes = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { extensions?: { code?: string } }).extensions?.code : 'OK'));
      assert.equal(codes.filter((c) => c === 'INVALID_CREDENTIALS').length, 5);
      assert.equal(codes.filter((c) => c === 'RATE_LIMITED').length, 15);
      assert.equal(hasher.checks, 5);
    }));

  it('#24 #26 aliased signups count one by one against SIGNUP_LIMIT_PER_IP', () =>
    withApp({ SIGNUP_LIMIT_PER_IP: '3' }, async (t) => {
      const fields = Array.from({ length: 5 }, (_, i) => `s${i}: signup(input: {email: "${uniqueEmail(`alias${i}-`)}", password: "${PASSWORD}"}) { accessToken }`);
      const result = await post(t.url, { query: `mutation { ${fields.join(' ')} }` });
      assert.ok(errorCodes(result).includes('RATE_LIMITED'), JSON.stringify(result.errors));
      const created = (await t.app.storage.users.page({ first: 100 })).rows.filter((user) => user.email.startsWith('alias'));
      assert.equal(created.length, 3);
    }));
});

describe('#26 login limits', () => {
  it('#26 more than LOGIN_LIMIT_PER_ACCOUNT failures for one account, from any IP: RATE_LIMITED with retryAfter, the right password included', () =>
    withApp({ TRUST_PROXY: '1' }, async (t, hasher) => {
      const { user } = await signup(t.url, { email: uniqueEmail() });
      for (let i = 0; i < 5; i++) {
        assertErrorCode(await loginAs(t, user.email!, WRONG, { 'x-forwarded-for': `203.0.113.${i + 1}` }), 'INVALID_CREDENTIALS');
      }
      const limited = await loginAs(t, user.email!, PASSWORD, { 'x-forwarded-for': '203.0.113.99' });
      assertErrorCode(limited, 'RATE_LIMITED');
      const retryAfter = limited.errors![0]!.extensions!.retryAfter as number;
      assert.ok(Number.isInteger(retryAfter) && retryAfter > WINDOW_SECONDS - 5 && retryAfter <= WINDOW_SECONDS, `retryAfter ${retryAfter}`);
      assert.equal(hasher.checks, 5);
      assert.equal(limited.data, null);
    }));

  it('#26 the account limit is per normalized email: letter case and spaces do not buy more guesses', () =>
    withApp({}, async (t) => {
      const email = uniqueEmail('case');
      await signup(t.url, { email });
      const spellings = [email, email.toUpperCase(), ` ${email}`, `${email} `, email.replace(/^c/, 'C')];
      for (const spelling of spellings) assertErrorCode(await loginAs(t, spelling, WRONG), 'INVALID_CREDENTIALS');
      assertErrorCode(await loginAs(t, email.toUpperCase(), PASSWORD), 'RATE_LIMITED');
    }));

  it('#26 more than LOGIN_LIMIT_PER_IP failures from one IP across accounts: RATE_LIMITED; another IP is not affected', () =>
    withApp({ TRUST_PROXY: '1', LOGIN_LIMIT_PER_IP: '4' }, async (t) => {
      const attacker = { 'x-forwarded-for': '203.0.113.7' };
      for (let i = 0; i < 4; i++) assertErrorCode(await loginAs(t, uniqueEmail('spray'), WRONG, attacker), 'INVALID_CREDENTIALS');
      const limited = await loginAs(t, uniqueEmail('spray'), WRONG, attacker);
      assertErrorCode(limited, 'RATE_LIMITED');
      assert.ok((limited.errors![0]!.extensions!.retryAfter as number) > 0);
      assertErrorCode(await loginAs(t, uniqueEmail('spray'), WRONG, { 'x-forwarded-for': '203.0.113.8' }), 'INVALID_CREDENTIALS');
    }));

  it('#26 the client IP comes from TRUST_PROXY only: a forged X-Forwarded-For changes nothing', async () => {
    await withApp({ LOGIN_LIMIT_PER_IP: '3' }, async (t) => {
      for (let i = 0; i < 3; i++) assertErrorCode(await loginAs(t, uniqueEmail(), WRONG, { 'x-forwarded-for': `192.0.2.${i}` }), 'INVALID_CREDENTIALS');
      assertErrorCode(await loginAs(t, uniqueEmail(), WRONG, { 'x-forwarded-for': '192.0.2.200' }), 'RATE_LIMITED');
    });
    // Behind one proxy, only the address that proxy appended counts; addresses the client wrote to the left do not.
    await withApp({ TRUST_PROXY: '1', LOGIN_LIMIT_PER_IP: '3' }, async (t) => {
      for (let i = 0; i < 3; i++) assertErrorCode(await loginAs(t, uniqueEmail(), WRONG, { 'x-forwarded-for': `192.0.2.${i}, 203.0.113.50` }), 'INVALID_CREDENTIALS');
      assertErrorCode(await loginAs(t, uniqueEmail(), WRONG, { 'x-forwarded-for': '192.0.2.201, 203.0.113.50' }), 'RATE_LIMITED');
    });
  });

  it('#26 a successful login resets the account failure count', () =>
    withApp({}, async (t) => {
      const { user } = await signup(t.url, { email: uniqueEmail() });
      for (let i = 0; i < 4; i++) assertErrorCode(await loginAs(t, user.email!, WRONG), 'INVALID_CREDENTIALS');
      const ok = await loginAs(t, user.email!, PASSWORD);
      assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
      for (let i = 0; i < 4; i++) assertErrorCode(await loginAs(t, user.email!, WRONG), 'INVALID_CREDENTIALS');
    }));

  it("#26 signing in to one's own account does not clear the IP's failures", () =>
    withApp({ LOGIN_LIMIT_PER_IP: '3', LOGIN_LIMIT_PER_ACCOUNT: '100' }, async (t) => {
      const { user } = await signup(t.url, { email: uniqueEmail() });
      assertErrorCode(await loginAs(t, uniqueEmail(), WRONG), 'INVALID_CREDENTIALS');
      assertErrorCode(await loginAs(t, uniqueEmail(), WRONG), 'INVALID_CREDENTIALS');
      assert.equal((await loginAs(t, user.email!, PASSWORD)).errors, undefined);
      assertErrorCode(await loginAs(t, uniqueEmail(), WRONG), 'INVALID_CREDENTIALS');
      assertErrorCode(await loginAs(t, uniqueEmail(), WRONG), 'RATE_LIMITED');
    }));

  it('#26 a malformed email costs no attempt', () =>
    withApp({ LOGIN_LIMIT_PER_IP: '2' }, async (t) => {
      for (let i = 0; i < 5; i++) assertErrorCode(await loginAs(t, 'not-an-email', WRONG), 'BAD_USER_INPUT', { field: 'email' });
      assertErrorCode(await loginAs(t, uniqueEmail(), WRONG), 'INVALID_CREDENTIALS');
    }));

  it('#26 RATE_LIMITED is audited once per block, not once per refused request', () =>
    withApp({ TRUST_PROXY: '1' }, async (t) => {
      const email = uniqueEmail('audited');
      await signup(t.url, { email });
      for (let i = 0; i < 12; i++) await loginAs(t, email, WRONG, { 'x-forwarded-for': `203.0.113.${i + 1}` });
      const events = await rateLimitedEvents(t);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.ip, '203.0.113.6');
      assert.deepEqual(events[0]!.detail, { limit: 'LOGIN_ACCOUNT', retryAfter: WINDOW_SECONDS, email });
    }));

  it('#26 the limits are kept in the database: a restart does not reset them', async () => {
    const database = await createSharedTestDatabase();
    const env = { DATABASE_URL: database.url };
    try {
      const email = uniqueEmail('restart');
      await withApp(env, async (t) => {
        await signup(t.url, { email });
        for (let i = 0; i < 5; i++) assertErrorCode(await loginAs(t, email, WRONG), 'INVALID_CREDENTIALS');
      });
      await withApp(env, async (t, hasher) => {
        assertErrorCode(await loginAs(t, email, PASSWORD), 'RATE_LIMITED');
        assert.equal(hasher.checks, 0);
      });
    } finally {
      await database.remove();
    }
  });

  it('#26 wrong current passwords in changePassword count per user like failed logins', () =>
    withApp({}, async (t, hasher) => {
      const { accessToken } = await signup(t.url, { email: uniqueEmail() });
      const change = (current: string) =>
        post(t.url, { query: 'mutation ($c: String!) { changePassword(currentPassword: $c, newPassword: "another long password") }', variables: { c: current } }, { authorization: `Bearer ${accessToken}` });
      for (let i = 0; i < 5; i++) assertErrorCode(await change(WRONG), 'INVALID_CREDENTIALS');
      assertErrorCode(await change(PASSWORD), 'RATE_LIMITED');
      assert.equal(hasher.checks, 5);
    }));
});

describe('#26 signup and refresh limits', () => {
  it('#26 more than SIGNUP_LIMIT_PER_IP signups from one IP: RATE_LIMITED, and EMAIL_TAKEN counts too', () =>
    withApp({ SIGNUP_LIMIT_PER_IP: '3' }, async (t) => {
      const email = uniqueEmail();
      await signup(t.url, { email });
      const again = () => post(t.url, { query: 'mutation ($i: SignupInput!) { signup(input: $i) { accessToken } }', variables: { i: { email, password: PASSWORD } } });
      assertErrorCode(await again(), 'EMAIL_TAKEN');
      assertErrorCode(await again(), 'EMAIL_TAKEN');
      const limited = await again();
      assertErrorCode(limited, 'RATE_LIMITED');
      assert.ok((limited.errors![0]!.extensions!.retryAfter as number) > 0);
      const events = await rateLimitedEvents(t);
      assert.deepEqual(events.map((e) => (e.detail as { limit: string }).limit), ['SIGNUP_IP']);
    }));

  it('#26 more than REFRESH_LIMIT_PER_IP failed refreshes from one IP: RATE_LIMITED, even for a valid token; working refreshes do not count', () =>
    withApp({ REFRESH_LIMIT_PER_IP: '3' }, async (t) => {
      const refresh = (token: string) => post(t.url, { query: 'mutation ($r: String) { refresh(refreshToken: $r) { refreshToken } }', variables: { r: token } });
      let { refreshToken } = await signup(t.url);
      for (let i = 0; i < 6; i++) {
        const result = await refresh(refreshToken);
        assert.equal(result.errors, undefined, JSON.stringify(result.errors));
        refreshToken = (result.data!.refresh as { refreshToken: string }).refreshToken;
      }
      for (let i = 0; i < 3; i++) assertErrorCode(await refresh(`kcr_${'A'.repeat(43)}`), 'INVALID_REFRESH_TOKEN');
      assertErrorCode(await refresh(refreshToken), 'RATE_LIMITED');
      assertErrorCode(await refresh(refreshToken), 'RATE_LIMITED');
      const events = await rateLimitedEvents(t);
      assert.deepEqual(events.map((e) => (e.detail as { limit: string }).limit), ['REFRESH_IP']);
    }));
});
