import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LoginDocument, LogoutAllDocument, LogoutDocument, MeDocument, RefreshDocument } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, login, PASSWORD, signup, uniqueEmail } from '../support/graphql';

describe('logout', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('#15 logout with the refresh token ends that session: its refresh token and access tokens stop working', async () => {
    const { refreshToken, accessToken } = await signup(t.url);
    const result = await call(t.url, LogoutDocument, { refreshToken });
    assert.equal(result.data!.logout, true);
    assertErrorCode(await call(t.url, RefreshDocument, { refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
  });

  it('logout with only the bearer token ends the bearer\'s session', async () => {
    const { accessToken, refreshToken } = await signup(t.url);
    const result = await call(t.url, LogoutDocument, {}, { accessToken });
    assert.equal(result.data!.logout, true);
    assertErrorCode(await call(t.url, RefreshDocument, { refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
  });

  it('logout leaves the user\'s other sessions alone', async () => {
    const email = uniqueEmail();
    const phone = await signup(t.url, { email });
    const laptop = await login(t.url, email);
    await call(t.url, LogoutDocument, { refreshToken: laptop.refreshToken });
    const me = await call(t.url, MeDocument, {}, { accessToken: phone.accessToken });
    assert.equal(me.data!.me!.id, phone.user.id);
  });

  it('logout is idempotent: false for an unknown or already ended token, no error', async () => {
    const { refreshToken } = await signup(t.url);
    assert.equal((await call(t.url, LogoutDocument, { refreshToken })).data!.logout, true);
    assert.equal((await call(t.url, LogoutDocument, { refreshToken })).data!.logout, false);
    assert.equal((await call(t.url, LogoutDocument, { refreshToken: 'kcr_unknown' })).data!.logout, false);
  });

  it('logout with nothing to identify a session is UNAUTHENTICATED', async () => {
    assertErrorCode(await call(t.url, LogoutDocument, {}), 'UNAUTHENTICATED', { reason: 'TOKEN_MISSING' });
  });

  it('#16 logoutAll ends every session of the user, this one included', async () => {
    const email = uniqueEmail();
    const phone = await signup(t.url, { email });
    const laptop = await login(t.url, email);
    const result = await call(t.url, LogoutAllDocument, {}, { accessToken: laptop.accessToken });
    assert.equal(result.data!.logoutAll, true);
    for (const session of [phone, laptop]) {
      assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: session.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
      assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: session.refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    }
  });

  it('logoutAll needs a signed-in user', async () => {
    assertErrorCode(await call(t.url, LogoutAllDocument, {}), 'UNAUTHENTICATED', { reason: 'TOKEN_MISSING' });
  });

  it('#17 login always starts a new session, whatever refresh cookie came along', async () => {
    const email = uniqueEmail();
    const first = await signup(t.url, { email });
    const result = await call(t.url, LoginDocument, { input: { email, password: PASSWORD } }, { headers: { cookie: `__Host-keycard-refresh=${first.refreshToken}` } });
    assert.notEqual(result.data!.login.refreshToken, first.refreshToken);
    await call(t.url, LogoutDocument, { refreshToken: first.refreshToken });
    const me = await call(t.url, MeDocument, {}, { accessToken: result.data!.login.accessToken });
    assert.ok(me.data!.me, 'the new session is independent of the planted one');
  });
});
