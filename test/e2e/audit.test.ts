import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  AuditEventsDocument,
  ChangePasswordDocument,
  LoginDocument,
  MyAuditEventsDocument,
  MySessionsDocument,
  RevokeSessionDocument,
  SetUserDisabledDocument,
  SignupDocument,
  UserAuditEventsDocument,
  type AuditEventsQueryVariables,
} from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { SECOND } from '../support/clock';
import { assertErrorCode, call, login, PASSWORD, signup, uniqueEmail } from '../support/graphql';
import { signedInAdmin } from '../support/users';

async function auditPage(t: TestApp, accessToken: string, variables: AuditEventsQueryVariables) {
  const result = await call(t.url, AuditEventsDocument, variables, { accessToken });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return result.data!.auditEvents;
}

async function eventsAbout(t: TestApp, adminToken: string, userId: string, type?: string) {
  return (await auditPage(t, adminToken, { userId, type, first: 100 })).edges.map((e) => e.node);
}

describe('the audit log for ADMINs', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('lists events newest first with every field, detail as a JSON object', async () => {
    const admin = await signedInAdmin(t);
    const email = uniqueEmail();
    const signedUp = await call(t.url, SignupDocument, { input: { email, password: PASSWORD } }, { headers: { 'user-agent': 'Audit/1.0' } });
    const userId = signedUp.data!.signup.user.id;
    t.clock.advance(SECOND);
    const failedAt = t.clock.now();
    await call(t.url, LoginDocument, { input: { email, password: 'wrong password' } }, { headers: { 'user-agent': 'Audit/1.0' } });

    const events = await eventsAbout(t, admin.accessToken, userId);
    assert.deepEqual(
      { ...events[0]!, id: typeof events[0]!.id },
      { id: 'string', type: 'LOGIN_FAILED', at: new Date(failedAt).toISOString(), userId, actorId: null, sessionId: null, ip: '127.0.0.1', userAgent: 'Audit/1.0', detail: { reason: 'WRONG_PASSWORD' } },
    );
    // Signup writes SIGNUP and LOGIN_SUCCEEDED in the same millisecond: their relative order is not defined.
    assert.deepEqual(events.slice(1).map((e) => e.type).sort(), ['LOGIN_SUCCEEDED', 'SIGNUP']);
  });

  it('pages follow the cursor newest first with no gap and no repeat, even between events of the same millisecond', async () => {
    const admin = await signedInAdmin(t);
    const email = uniqueEmail();
    const { user } = await signup(t.url, { email });
    for (let i = 0; i < 4; i++) {
      t.clock.advance(SECOND);
      await login(t.url, email);
    }
    const all = await eventsAbout(t, admin.accessToken, user.id);
    assert.equal(all.length, 6); // SIGNUP and LOGIN_SUCCEEDED in the same millisecond, then four LOGIN_SUCCEEDED
    const times = all.map((e) => Date.parse(e.at));
    assert.deepEqual(times, [...times].sort((x, y) => y - x));

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page = await auditPage(t, admin.accessToken, { userId: user.id, first: 5, after });
      assert.equal(page.totalCount, 6);
      seen.push(...page.edges.map((e) => e.node.id));
      pages += 1;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    assert.equal(pages, 2);
    assert.deepEqual(seen, all.map((e) => e.id));
  });

  it('filters by userId and by type, and totalCount counts only what matches', async () => {
    const admin = await signedInAdmin(t);
    const one = await signup(t.url);
    const two = await signup(t.url);
    const signups = await auditPage(t, admin.accessToken, { type: 'SIGNUP', userId: one.user.id });
    assert.equal(signups.totalCount, 1);
    assert.deepEqual(
      signups.edges.map((e) => [e.node.type, e.node.userId]),
      [['SIGNUP', one.user.id]],
    );
    const allSignups = await auditPage(t, admin.accessToken, { type: 'SIGNUP', first: 100 });
    assert.ok(allSignups.edges.every((e) => e.node.type === 'SIGNUP'));
    assert.ok(allSignups.edges.some((e) => e.node.userId === two.user.id));
    assert.equal(allSignups.totalCount, allSignups.edges.length);
    const nobody = await auditPage(t, admin.accessToken, { userId: 'no-such-user' });
    assert.deepEqual({ total: nobody.totalCount, edges: nobody.edges.length, next: nobody.pageInfo.hasNextPage }, { total: 0, edges: 0, next: false });
  });

  it('first over 100 or below 0 is BAD_USER_INPUT on field first', async () => {
    const admin = await signedInAdmin(t);
    for (const first of [101, -1]) {
      assertErrorCode(await call(t.url, AuditEventsDocument, { first }, { accessToken: admin.accessToken }), 'BAD_USER_INPUT', { field: 'first' });
    }
    const atTheCap = await call(t.url, AuditEventsDocument, { first: 100 }, { accessToken: admin.accessToken });
    assert.equal(atTheCap.errors, undefined);
  });

  it('a forged cursor is BAD_USER_INPUT on field after', async () => {
    const admin = await signedInAdmin(t);
    assertErrorCode(await call(t.url, AuditEventsDocument, { after: 'not-a-cursor' }, { accessToken: admin.accessToken }), 'BAD_USER_INPUT', { field: 'after' });
  });

  it('an unknown event type is BAD_USER_INPUT on field type', async () => {
    const admin = await signedInAdmin(t);
    assertErrorCode(await call(t.url, AuditEventsDocument, { type: 'LOGIN_SUCCEDED' }, { accessToken: admin.accessToken }), 'BAD_USER_INPUT', { field: 'type' });
  });

  it('a USER is FORBIDDEN and an anonymous caller UNAUTHENTICATED', async () => {
    const user = await signup(t.url);
    const refused = await call(t.url, AuditEventsDocument, {}, { accessToken: user.accessToken });
    assertErrorCode(refused, 'FORBIDDEN');
    assert.equal(refused.data, null);
    assertErrorCode(await call(t.url, AuditEventsDocument, {}), 'UNAUTHENTICATED', { reason: 'TOKEN_MISSING' });
  });

  it('records the forwarded client ip when TRUST_PROXY=1', async () => {
    const proxied = await startTestApp({ TRUST_PROXY: '1' });
    try {
      const proxiedAdmin = await signedInAdmin(proxied);
      const result = await call(proxied.url, SignupDocument, { input: { email: uniqueEmail(), password: PASSWORD } }, { headers: { 'x-forwarded-for': '203.0.113.50' } });
      const [event] = await eventsAbout(proxied, proxiedAdmin.accessToken, result.data!.signup.user.id, 'SIGNUP');
      assert.equal(event!.ip, '203.0.113.50');
    } finally {
      await proxied.close();
    }
  });
});

describe('each account and session change is audited', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('changePassword writes PASSWORD_CHANGED with the kept session and how many others ended', async () => {
    const admin = await signedInAdmin(t);
    const email = uniqueEmail();
    const current = await signup(t.url, { email });
    await login(t.url, email);
    await login(t.url, email);
    const sessions = await call(t.url, MySessionsDocument, {}, { accessToken: current.accessToken });
    const currentId = sessions.data!.me!.sessions!.find((s) => s.current)!.id;
    await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: 'another fine passphrase' }, { accessToken: current.accessToken });

    const [event] = await eventsAbout(t, admin.accessToken, current.user.id, 'PASSWORD_CHANGED');
    assert.deepEqual(
      { userId: event!.userId, actorId: event!.actorId, sessionId: event!.sessionId, detail: event!.detail },
      { userId: current.user.id, actorId: current.user.id, sessionId: currentId, detail: { sessionsEnded: 2 } },
    );
  });

  it('a wrong current password writes PASSWORD_CHANGE_FAILED and no PASSWORD_CHANGED', async () => {
    const admin = await signedInAdmin(t);
    const user = await signup(t.url);
    await call(t.url, ChangePasswordDocument, { currentPassword: 'wrong password', newPassword: 'another fine passphrase' }, { accessToken: user.accessToken });
    const failed = await eventsAbout(t, admin.accessToken, user.user.id, 'PASSWORD_CHANGE_FAILED');
    assert.deepEqual(failed.map((e) => e.detail), [{ reason: 'WRONG_PASSWORD' }]);
    assert.deepEqual(await eventsAbout(t, admin.accessToken, user.user.id, 'PASSWORD_CHANGED'), []);
  });

  it("an ADMIN's revokeSession writes SESSION_REVOKED about the owner, with the ADMIN as actor", async () => {
    const admin = await signedInAdmin(t);
    const user = await signup(t.url);
    const sessions = await call(t.url, MySessionsDocument, {}, { accessToken: user.accessToken });
    const sessionId = sessions.data!.me!.sessions![0]!.id;
    await call(t.url, RevokeSessionDocument, { id: sessionId }, { accessToken: admin.accessToken });
    const events = await eventsAbout(t, admin.accessToken, user.user.id, 'SESSION_REVOKED');
    assert.deepEqual(
      events.map((e) => ({ userId: e.userId, actorId: e.actorId, sessionId: e.sessionId })),
      [{ userId: user.user.id, actorId: admin.user.id, sessionId }],
    );
  });

  it("a refused revokeSession writes nothing", async () => {
    const admin = await signedInAdmin(t);
    const victim = await signup(t.url);
    const attacker = await signup(t.url);
    const sessions = await call(t.url, MySessionsDocument, {}, { accessToken: victim.accessToken });
    await call(t.url, RevokeSessionDocument, { id: sessions.data!.me!.sessions![0]!.id }, { accessToken: attacker.accessToken });
    assert.deepEqual(await eventsAbout(t, admin.accessToken, victim.user.id, 'SESSION_REVOKED'), []);
  });

  it('setUserDisabled writes USER_DISABLED with the sessions it ended, then USER_ENABLED, with the ADMIN as actor', async () => {
    const admin = await signedInAdmin(t);
    const email = uniqueEmail();
    const user = await signup(t.url, { email });
    await login(t.url, email);
    await call(t.url, SetUserDisabledDocument, { userId: user.user.id, disabled: true }, { accessToken: admin.accessToken });
    t.clock.advance(SECOND);
    await call(t.url, SetUserDisabledDocument, { userId: user.user.id, disabled: false }, { accessToken: admin.accessToken });
    const events = (await eventsAbout(t, admin.accessToken, user.user.id)).filter((e) => e.type === 'USER_DISABLED' || e.type === 'USER_ENABLED');
    assert.deepEqual(
      events.map((e) => ({ type: e.type, actorId: e.actorId, detail: e.detail })),
      [
        { type: 'USER_ENABLED', actorId: admin.user.id, detail: { sessionsEnded: 0 } },
        { type: 'USER_DISABLED', actorId: admin.user.id, detail: { sessionsEnded: 2 } },
      ],
    );
  });

  it('disabling a user who is already disabled writes no second event', async () => {
    const admin = await signedInAdmin(t);
    const user = await signup(t.url);
    await call(t.url, SetUserDisabledDocument, { userId: user.user.id, disabled: true }, { accessToken: admin.accessToken });
    const again = await call(t.url, SetUserDisabledDocument, { userId: user.user.id, disabled: true }, { accessToken: admin.accessToken });
    assert.equal(again.errors, undefined);
    assert.equal((await eventsAbout(t, admin.accessToken, user.user.id, 'USER_DISABLED')).length, 1);
  });
});

describe("a user's own recent events", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('me.auditEvents shows a user the events about them, newest first', async () => {
    const email = uniqueEmail();
    await signup(t.url, { email });
    t.clock.advance(SECOND);
    await call(t.url, LoginDocument, { input: { email, password: 'wrong password' } });
    t.clock.advance(SECOND);
    const { accessToken } = await login(t.url, email);

    const result = await call(t.url, MyAuditEventsDocument, { first: 2 }, { accessToken });
    assert.equal(result.errors, undefined);
    assert.deepEqual(
      result.data!.me!.auditEvents!.map((e) => e.type),
      ['LOGIN_SUCCEEDED', 'LOGIN_FAILED'],
    );
    const everything = await call(t.url, MyAuditEventsDocument, {}, { accessToken });
    assert.equal(everything.data!.me!.auditEvents!.length, 4); // SIGNUP and its LOGIN_SUCCEEDED, LOGIN_FAILED, LOGIN_SUCCEEDED
    assert.ok(everything.data!.me!.auditEvents!.every((e) => e.userId === result.data!.me!.id));
  });

  it("another user's auditEvents are null with FORBIDDEN for a USER, and visible to an ADMIN", async () => {
    const victim = await signup(t.url);
    const other = await signup(t.url);
    const refused = await call(t.url, UserAuditEventsDocument, { id: victim.user.id }, { accessToken: other.accessToken });
    assertErrorCode(refused, 'FORBIDDEN');
    assert.deepEqual(refused.errors![0]!.path, ['user', 'auditEvents']);
    assert.equal(refused.data!.user!.auditEvents, null);

    const admin = await signedInAdmin(t);
    const seen = await call(t.url, UserAuditEventsDocument, { id: victim.user.id }, { accessToken: admin.accessToken });
    assert.equal(seen.errors, undefined);
    assert.ok(seen.data!.user!.auditEvents!.some((e) => e.type === 'SIGNUP'));
  });

  it('User.auditEvents refuses first over 100 with BAD_USER_INPUT on field first', async () => {
    const { accessToken } = await signup(t.url);
    assertErrorCode(await call(t.url, MyAuditEventsDocument, { first: 101 }, { accessToken }), 'BAD_USER_INPUT', { field: 'first' });
  });
});
