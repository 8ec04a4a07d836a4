import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  LoginDocument,
  MeDocument,
  MySessionsDocument,
  RefreshDocument,
  RevokeSessionDocument,
  SignupDocument,
  UserSessionsDocument,
} from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { DAY, HOUR, MINUTE } from '../support/clock';
import { assertErrorCode, call, login, PASSWORD, signup, uniqueEmail } from '../support/graphql';
import { signedInAdmin } from '../support/users';

async function sessionsOf(t: TestApp, accessToken: string) {
  const result = await call(t.url, MySessionsDocument, {}, { accessToken });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return result.data!.me!.sessions!;
}

async function assertSignedIn(t: TestApp, accessToken: string) {
  const me = await call(t.url, MeDocument, {}, { accessToken });
  assert.equal(me.errors, undefined, JSON.stringify(me.errors));
  assert.ok(me.data!.me);
}

describe('listing sessions', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('me.sessions lists each live session, oldest first, with its times, user agent and ip, and marks the current one', async () => {
    const email = uniqueEmail();
    const startedAt = t.clock.now();
    const first = await call(t.url, SignupDocument, { input: { email, password: PASSWORD } }, { headers: { 'user-agent': 'Phone/1.0' } });
    assert.equal(first.errors, undefined);
    t.clock.advance(10 * MINUTE);
    const second = await call(t.url, LoginDocument, { input: { email, password: PASSWORD } }, { headers: { 'user-agent': 'Laptop/2.0' } });
    assert.equal(second.errors, undefined);

    const sessions = await sessionsOf(t, second.data!.login.accessToken);
    assert.equal(sessions.length, 2);
    const [phone, laptop] = sessions;
    assert.deepEqual(
      { ...phone, id: undefined },
      {
        id: undefined,
        createdAt: new Date(startedAt).toISOString(),
        lastUsedAt: new Date(startedAt).toISOString(),
        expiresAt: new Date(startedAt + 14 * DAY).toISOString(),
        userAgent: 'Phone/1.0',
        ip: '127.0.0.1',
        clientId: null,
        scopes: null,
        current: false,
      },
    );
    assert.equal(laptop!.userAgent, 'Laptop/2.0');
    assert.equal(laptop!.createdAt, new Date(startedAt + 10 * MINUTE).toISOString());
    assert.equal(laptop!.current, true);
    assert.notEqual(phone!.id, laptop!.id);

    // The same list seen from the other session flips `current`.
    const fromPhone = await sessionsOf(t, first.data!.signup.accessToken);
    assert.deepEqual(
      fromPhone.map((s) => s.current),
      [true, false],
    );
  });

  it('a refresh moves lastUsedAt and expiresAt forward but not createdAt', async () => {
    const { refreshToken } = await signup(t.url);
    const createdAt = t.clock.now();
    t.clock.advance(2 * HOUR);
    const refreshed = await call(t.url, RefreshDocument, { refreshToken });
    assert.equal(refreshed.errors, undefined);
    const [session] = await sessionsOf(t, refreshed.data!.refresh.accessToken);
    assert.equal(session!.createdAt, new Date(createdAt).toISOString());
    assert.equal(session!.lastUsedAt, new Date(createdAt + 2 * HOUR).toISOString());
    assert.equal(session!.expiresAt, new Date(createdAt + 2 * HOUR + 14 * DAY).toISOString());
  });

  it('an ended session is no longer listed', async () => {
    const email = uniqueEmail();
    const first = await signup(t.url, { email });
    const second = await login(t.url, email);
    const [, secondSession] = await sessionsOf(t, second.accessToken);
    const revoked = await call(t.url, RevokeSessionDocument, { id: secondSession!.id }, { accessToken: first.accessToken });
    assert.equal(revoked.data!.revokeSession, true);
    const remaining = await sessionsOf(t, first.accessToken);
    assert.deepEqual(
      remaining.map((s) => s.current),
      [true],
    );
  });

  it("another user's sessions are null with FORBIDDEN for a USER, and listed for an ADMIN", async () => {
    const victim = await signup(t.url);
    const other = await signup(t.url);
    const refused = await call(t.url, UserSessionsDocument, { id: victim.user.id }, { accessToken: other.accessToken });
    assert.equal(refused.data!.user!.sessions, null);
    assertErrorCode(refused, 'FORBIDDEN');
    assert.deepEqual(refused.errors![0]!.path, ['user', 'sessions']);

    const admin = await signedInAdmin(t);
    const listed = await call(t.url, UserSessionsDocument, { id: victim.user.id }, { accessToken: admin.accessToken });
    assert.equal(listed.errors, undefined);
    assert.equal(listed.data!.user!.sessions!.length, 1);
    assert.equal(listed.data!.user!.sessions![0]!.current, false);
  });
});

describe('the session ip honours TRUST_PROXY', () => {
  const forwarded = { 'x-forwarded-for': '198.51.100.66, 203.0.113.9' };

  it('with TRUST_PROXY off, X-Forwarded-For is ignored and the socket address is recorded', async () => {
    const t = await startTestApp();
    try {
      const result = await call(t.url, SignupDocument, { input: { email: uniqueEmail(), password: PASSWORD } }, { headers: forwarded });
      const [session] = await sessionsOf(t, result.data!.signup.accessToken);
      assert.equal(session!.ip, '127.0.0.1');
    } finally {
      await t.close();
    }
  });

  it('with TRUST_PROXY=1, the address our proxy appended is the client and the spoofable left part is ignored', async () => {
    const t = await startTestApp({ TRUST_PROXY: '1' });
    try {
      const result = await call(t.url, SignupDocument, { input: { email: uniqueEmail(), password: PASSWORD } }, { headers: forwarded });
      const [session] = await sessionsOf(t, result.data!.signup.accessToken);
      assert.equal(session!.ip, '203.0.113.9');
    } finally {
      await t.close();
    }
  });

  it('with TRUST_PROXY=2, the client is two hops from the right', async () => {
    const t = await startTestApp({ TRUST_PROXY: '2' });
    try {
      const result = await call(t.url, SignupDocument, { input: { email: uniqueEmail(), password: PASSWORD } }, { headers: forwarded });
      const [session] = await sessionsOf(t, result.data!.signup.accessToken);
      assert.equal(session!.ip, '198.51.100.66');
    } finally {
      await t.close();
    }
  });
});

describe('revokeSession', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it("a user ends one of their own sessions: its access token is TOKEN_REVOKED, its refresh token REVOKED, and the other session keeps working", async () => {
    const email = uniqueEmail();
    const kept = await signup(t.url, { email });
    const ended = await login(t.url, email);
    const [, endedSession] = await sessionsOf(t, kept.accessToken);

    const result = await call(t.url, RevokeSessionDocument, { id: endedSession!.id }, { accessToken: kept.accessToken });
    assert.equal(result.errors, undefined);
    assert.equal(result.data!.revokeSession, true);

    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: ended.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: ended.refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    await assertSignedIn(t, kept.accessToken);
    const refreshed = await call(t.url, RefreshDocument, { refreshToken: kept.refreshToken });
    assert.equal(refreshed.errors, undefined);
  });

  it('a user can end the session they are calling from', async () => {
    const { accessToken } = await signup(t.url);
    const [current] = await sessionsOf(t, accessToken);
    const result = await call(t.url, RevokeSessionDocument, { id: current!.id }, { accessToken });
    assert.equal(result.data!.revokeSession, true);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
  });

  it("a user cannot end another user's session: FORBIDDEN, and that session keeps working", async () => {
    const victim = await signup(t.url);
    const attacker = await signup(t.url);
    const [victimSession] = await sessionsOf(t, victim.accessToken);

    const result = await call(t.url, RevokeSessionDocument, { id: victimSession!.id }, { accessToken: attacker.accessToken });
    assertErrorCode(result, 'FORBIDDEN');
    assert.equal(result.data, null);

    await assertSignedIn(t, victim.accessToken);
    const refreshed = await call(t.url, RefreshDocument, { refreshToken: victim.refreshToken });
    assert.equal(refreshed.errors, undefined);
  });

  it("an unknown session id gives a USER the same FORBIDDEN as another user's session, so ids cannot be probed", async () => {
    const other = await signup(t.url);
    const [otherSession] = await sessionsOf(t, other.accessToken);
    const { accessToken } = await signup(t.url);

    const unknown = await call(t.url, RevokeSessionDocument, { id: '00000000-0000-4000-8000-000000000000' }, { accessToken });
    const foreign = await call(t.url, RevokeSessionDocument, { id: otherSession!.id }, { accessToken });
    assertErrorCode(unknown, 'FORBIDDEN');
    assertErrorCode(foreign, 'FORBIDDEN');
    assert.deepEqual(unknown.errors![0]!.extensions, foreign.errors![0]!.extensions);
    assert.equal(unknown.errors![0]!.message, foreign.errors![0]!.message);
  });

  it("an ADMIN ends any user's session, and that user's tokens stop working", async () => {
    const admin = await signedInAdmin(t);
    const user = await signup(t.url);
    const [session] = await sessionsOf(t, user.accessToken);

    const result = await call(t.url, RevokeSessionDocument, { id: session!.id }, { accessToken: admin.accessToken });
    assert.equal(result.errors, undefined);
    assert.equal(result.data!.revokeSession, true);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: user.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: user.refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    await assertSignedIn(t, admin.accessToken);
  });

  it('an ADMIN gets NOT_FOUND for an unknown session id', async () => {
    const admin = await signedInAdmin(t);
    assertErrorCode(await call(t.url, RevokeSessionDocument, { id: 'no-such-session' }, { accessToken: admin.accessToken }), 'NOT_FOUND');
  });

  it('ending a session that already ended answers false', async () => {
    const email = uniqueEmail();
    const caller = await signup(t.url, { email });
    await login(t.url, email);
    const [, other] = await sessionsOf(t, caller.accessToken);
    const firstTime = await call(t.url, RevokeSessionDocument, { id: other!.id }, { accessToken: caller.accessToken });
    const again = await call(t.url, RevokeSessionDocument, { id: other!.id }, { accessToken: caller.accessToken });
    assert.equal(firstTime.data!.revokeSession, true);
    assert.equal(again.errors, undefined);
    assert.equal(again.data!.revokeSession, false);
  });

  it('without a token revokeSession is UNAUTHENTICATED with reason TOKEN_MISSING', async () => {
    const user = await signup(t.url);
    const [session] = await sessionsOf(t, user.accessToken);
    assertErrorCode(await call(t.url, RevokeSessionDocument, { id: session!.id }), 'UNAUTHENTICATED', { reason: 'TOKEN_MISSING' });
    await assertSignedIn(t, user.accessToken);
  });

  it("with an ended session's token revokeSession is UNAUTHENTICATED with reason TOKEN_REVOKED", async () => {
    const email = uniqueEmail();
    const ended = await signup(t.url, { email });
    const other = await login(t.url, email);
    const [endedSession, otherSession] = await sessionsOf(t, other.accessToken);
    await call(t.url, RevokeSessionDocument, { id: endedSession!.id }, { accessToken: other.accessToken });
    const result = await call(t.url, RevokeSessionDocument, { id: otherSession!.id }, { accessToken: ended.accessToken });
    assertErrorCode(result, 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    await assertSignedIn(t, other.accessToken);
  });
});
