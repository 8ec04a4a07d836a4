import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ChangePasswordDocument, LoginDocument, MeDocument, RefreshDocument, RevokeSessionDocument, MySessionsDocument } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, login, PASSWORD, signup, uniqueEmail } from '../support/graphql';

const NEW_PASSWORD = 'a brand new passphrase';

describe('changePassword', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  /** One account with three sessions; the first is the one that calls changePassword. */
  async function accountWithThreeSessions() {
    const email = uniqueEmail();
    const current = await signup(t.url, { email });
    const others = [await login(t.url, email), await login(t.url, email)];
    return { email, current, others };
  }

  it('ends every other session of the user and keeps the current one', async () => {
    const { current, others } = await accountWithThreeSessions();
    const result = await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { accessToken: current.accessToken });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.equal(result.data!.changePassword, true);

    for (const other of others) {
      assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: other.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
      assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: other.refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    }
    const me = await call(t.url, MeDocument, {}, { accessToken: current.accessToken });
    assert.equal(me.errors, undefined);
    const refreshed = await call(t.url, RefreshDocument, { refreshToken: current.refreshToken });
    assert.equal(refreshed.errors, undefined);
    const sessions = await call(t.url, MySessionsDocument, {}, { accessToken: refreshed.data!.refresh.accessToken });
    assert.deepEqual(
      sessions.data!.me!.sessions!.map((s) => s.current),
      [true],
    );
  });

  it('the new password signs in and the old one no longer does', async () => {
    const email = uniqueEmail();
    const { accessToken } = await signup(t.url, { email });
    await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { accessToken });
    assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: PASSWORD } }), 'INVALID_CREDENTIALS');
    const withNew = await call(t.url, LoginDocument, { input: { email, password: NEW_PASSWORD } });
    assert.equal(withNew.errors, undefined);
  });

  it('a wrong current password is INVALID_CREDENTIALS and changes nothing', async () => {
    const { email, current, others } = await accountWithThreeSessions();
    const result = await call(t.url, ChangePasswordDocument, { currentPassword: 'not my password', newPassword: NEW_PASSWORD }, { accessToken: current.accessToken });
    assertErrorCode(result, 'INVALID_CREDENTIALS');
    assert.equal(result.data, null);

    for (const other of others) assert.equal((await call(t.url, MeDocument, {}, { accessToken: other.accessToken })).errors, undefined);
    assert.equal((await call(t.url, LoginDocument, { input: { email, password: PASSWORD } })).errors, undefined);
    assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: NEW_PASSWORD } }), 'INVALID_CREDENTIALS');
  });

  it('an empty current password is INVALID_CREDENTIALS', async () => {
    const { accessToken } = await signup(t.url);
    assertErrorCode(await call(t.url, ChangePasswordDocument, { currentPassword: '', newPassword: NEW_PASSWORD }, { accessToken }), 'INVALID_CREDENTIALS');
  });

  it('a new password shorter than the signup policy is BAD_USER_INPUT on field newPassword and changes nothing', async () => {
    const { email, current, others } = await accountWithThreeSessions();
    const result = await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: 'short' }, { accessToken: current.accessToken });
    assertErrorCode(result, 'BAD_USER_INPUT', { field: 'newPassword' });
    for (const other of others) assert.equal((await call(t.url, MeDocument, {}, { accessToken: other.accessToken })).errors, undefined);
    assert.equal((await call(t.url, LoginDocument, { input: { email, password: PASSWORD } })).errors, undefined);
  });

  it('a new password over 256 characters is BAD_USER_INPUT on field newPassword', async () => {
    const { accessToken } = await signup(t.url);
    const result = await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: 'x'.repeat(257) }, { accessToken });
    assertErrorCode(result, 'BAD_USER_INPUT', { field: 'newPassword' });
  });

  it('without a token changePassword is UNAUTHENTICATED with reason TOKEN_MISSING', async () => {
    assertErrorCode(await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }), 'UNAUTHENTICATED', { reason: 'TOKEN_MISSING' });
  });

  it("with an ended session's token changePassword is UNAUTHENTICATED with reason TOKEN_REVOKED and the password stays", async () => {
    const email = uniqueEmail();
    const stale = await signup(t.url, { email });
    const other = await login(t.url, email);
    const sessions = await call(t.url, MySessionsDocument, {}, { accessToken: other.accessToken });
    await call(t.url, RevokeSessionDocument, { id: sessions.data!.me!.sessions![0]!.id }, { accessToken: other.accessToken });

    const result = await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { accessToken: stale.accessToken });
    assertErrorCode(result, 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    assert.equal((await call(t.url, LoginDocument, { input: { email, password: PASSWORD } })).errors, undefined);
  });
});
