import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LoginDocument, MeDocument, RefreshDocument, SetUserDisabledDocument, SetUserRoleDocument } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, login, PASSWORD, signup, uniqueEmail } from '../support/graphql';
import { signedInAdmin } from '../support/users';

describe('setUserDisabled', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('disabling a user ends every session at once: access tokens are TOKEN_REVOKED and refresh tokens REVOKED', async () => {
    const admin = await signedInAdmin(t);
    const email = uniqueEmail();
    const sessions = [await signup(t.url, { email }), await login(t.url, email)];

    const result = await call(t.url, SetUserDisabledDocument, { userId: sessions[0]!.user.id, disabled: true }, { accessToken: admin.accessToken });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data!.setUserDisabled, { id: sessions[0]!.user.id, disabled: true });

    for (const session of sessions) {
      assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: session.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
      assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: session.refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    }
  });

  it('a disabled user gets ACCOUNT_DISABLED with the right password and INVALID_CREDENTIALS with a wrong one', async () => {
    const admin = await signedInAdmin(t);
    const email = uniqueEmail();
    const user = await signup(t.url, { email });
    await call(t.url, SetUserDisabledDocument, { userId: user.user.id, disabled: true }, { accessToken: admin.accessToken });

    assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: PASSWORD } }), 'ACCOUNT_DISABLED');
    assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: 'not the password' } }), 'INVALID_CREDENTIALS');
  });

  it('re-enabling lets the user sign in again, and the sessions ended by disabling stay ended', async () => {
    const admin = await signedInAdmin(t);
    const email = uniqueEmail();
    const before = await signup(t.url, { email });
    await call(t.url, SetUserDisabledDocument, { userId: before.user.id, disabled: true }, { accessToken: admin.accessToken });

    const enabled = await call(t.url, SetUserDisabledDocument, { userId: before.user.id, disabled: false }, { accessToken: admin.accessToken });
    assert.equal(enabled.errors, undefined);
    assert.deepEqual(enabled.data!.setUserDisabled, { id: before.user.id, disabled: false });

    const again = await call(t.url, LoginDocument, { input: { email, password: PASSWORD } });
    assert.equal(again.errors, undefined);
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: again.data!.login.accessToken })).errors, undefined);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: before.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: before.refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
  });

  it('a USER cannot disable anyone: FORBIDDEN, and the target keeps working', async () => {
    const target = await signup(t.url);
    const caller = await signup(t.url);
    const result = await call(t.url, SetUserDisabledDocument, { userId: target.user.id, disabled: true }, { accessToken: caller.accessToken });
    assertErrorCode(result, 'FORBIDDEN');
    assert.equal(result.data, null);
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: target.accessToken })).errors, undefined);
  });

  it('a USER cannot disable themself either', async () => {
    const caller = await signup(t.url);
    assertErrorCode(await call(t.url, SetUserDisabledDocument, { userId: caller.user.id, disabled: true }, { accessToken: caller.accessToken }), 'FORBIDDEN');
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: caller.accessToken })).errors, undefined);
  });

  it('without a token setUserDisabled is UNAUTHENTICATED with reason TOKEN_MISSING', async () => {
    const target = await signup(t.url);
    assertErrorCode(await call(t.url, SetUserDisabledDocument, { userId: target.user.id, disabled: true }), 'UNAUTHENTICATED', { reason: 'TOKEN_MISSING' });
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: target.accessToken })).errors, undefined);
  });

  it('an ADMIN cannot disable themself: BAD_USER_INPUT on field userId, and stays signed in', async () => {
    const admin = await signedInAdmin(t);
    const result = await call(t.url, SetUserDisabledDocument, { userId: admin.user.id, disabled: true }, { accessToken: admin.accessToken });
    assertErrorCode(result, 'BAD_USER_INPUT', { field: 'userId' });
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: admin.accessToken })).errors, undefined);
  });

  it('an ADMIN can disable another ADMIN, whose ADMIN token stops working', async () => {
    const admin = await signedInAdmin(t);
    const other = await signedInAdmin(t);
    const result = await call(t.url, SetUserDisabledDocument, { userId: other.user.id, disabled: true }, { accessToken: admin.accessToken });
    assert.equal(result.errors, undefined);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: other.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
  });

  it('an unknown user is NOT_FOUND', async () => {
    const admin = await signedInAdmin(t);
    assertErrorCode(await call(t.url, SetUserDisabledDocument, { userId: 'no-such-user', disabled: true }, { accessToken: admin.accessToken }), 'NOT_FOUND');
  });
});

/**
 * Two signed-in ADMINs, the only ones, each acting on the other at the same moment through the
 * service: both calls have passed authentication as active ADMINs, so only a check inside the
 * write can tell them apart.
 */
async function eachActsOnTheOther<T>(t: TestApp, act: (target: string, actor: { userId: string; sessionId: string; role: 'ADMIN' }, origin: { ip: null; userAgent: string }) => Promise<T>) {
  const a = await signedInAdmin(t);
  const b = await signedInAdmin(t);
  const origin = { ip: null, userAgent: 'test' };
  const actor = (admin: typeof a) => ({ userId: admin.user.id, sessionId: 'unused', role: 'ADMIN' as const });
  const outcomes = await Promise.allSettled([act(b.user.id, actor(a), origin), act(a.user.id, actor(b), origin)]);
  const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  return { a, b, outcomes, rejected };
}

describe('the last active ADMIN', () => {
  it('two ADMINs disabling each other at the same moment leave exactly one active ADMIN', async () => {
    const t = await startTestApp();
    try {
      const { a, b, outcomes, rejected } = await eachActsOnTheOther(t, (target, actor, origin) => t.app.services.accounts.setDisabled(target, true, actor, origin));
      const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
      assert.equal(fulfilled.length, 1);
      assert.deepEqual((rejected[0]!.reason as { extensions?: unknown }).extensions, { code: 'BAD_USER_INPUT', field: 'disabled' });
      const survivor = outcomes[0]!.status === 'fulfilled' ? a : b;
      assert.equal((await call(t.url, MeDocument, {}, { accessToken: survivor.accessToken })).errors, undefined);
    } finally {
      await t.close();
    }
  });

  it('two concurrent demotions of the last two ADMINs leave exactly one ADMIN', async () => {
    const t = await startTestApp();
    try {
      const { a, b, rejected } = await eachActsOnTheOther(t, (target, actor, origin) => t.app.services.accounts.setRole(target, 'USER', actor, origin));
      assert.equal(rejected.length, 1);
      assert.deepEqual((rejected[0]!.reason as { extensions?: unknown }).extensions, { code: 'BAD_USER_INPUT', field: 'role' });
      const roles = await Promise.all([a, b].map(async (admin) => (await call(t.url, MeDocument, {}, { accessToken: admin.accessToken })).data?.me?.role));
      assert.deepEqual(roles.sort(), ['ADMIN', 'USER']);
    } finally {
      await t.close();
    }
  });

  it('the last active ADMIN cannot be disabled, not even by the system: BAD_USER_INPUT on field disabled', async () => {
    const t = await startTestApp();
    try {
      const admin = await signedInAdmin(t);
      await assert.rejects(t.app.services.accounts.setDisabled(admin.user.id, true, null, { ip: null, userAgent: 'test' }), (error: { extensions?: Record<string, unknown> }) => {
        assert.deepEqual(error.extensions, { code: 'BAD_USER_INPUT', field: 'disabled' });
        return true;
      });
      assert.equal((await call(t.url, MeDocument, {}, { accessToken: admin.accessToken })).errors, undefined);
    } finally {
      await t.close();
    }
  });

  it('once the other ADMIN is disabled, the remaining one cannot be demoted', async () => {
    const t = await startTestApp();
    try {
      const kept = await signedInAdmin(t);
      const other = await signedInAdmin(t);
      await call(t.url, SetUserDisabledDocument, { userId: other.user.id, disabled: true }, { accessToken: kept.accessToken });
      const result = await call(t.url, SetUserRoleDocument, { userId: kept.user.id, role: 'USER' }, { accessToken: kept.accessToken });
      assertErrorCode(result, 'BAD_USER_INPUT', { field: 'role' });
    } finally {
      await t.close();
    }
  });
});
