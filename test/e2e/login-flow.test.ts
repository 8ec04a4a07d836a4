import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LoginDocument, MeDocument, SignupDocument } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, PASSWORD, signup, uniqueEmail } from '../support/graphql';

describe('signup and login', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('signup returns a bearer token pair and the new user with its private fields', async () => {
    const email = uniqueEmail();
    const result = await call(t.url, SignupDocument, { input: { email, password: PASSWORD, displayName: 'Ada' } });
    assert.equal(result.errors, undefined);
    const payload = result.data!.signup;
    assert.equal(payload.tokenType, 'Bearer');
    assert.match(payload.refreshToken!, /^kcr_[A-Za-z0-9_-]{43}$/);
    assert.equal(payload.csrfToken, null);
    assert.deepEqual({ email: payload.user.email, role: payload.user.role, displayName: payload.user.displayName }, { email, role: 'USER', displayName: 'Ada' });
  });

  it('the access token from login authenticates me', async () => {
    const email = uniqueEmail();
    await signup(t.url, { email });
    const login = await call(t.url, LoginDocument, { input: { email: email.toUpperCase(), password: PASSWORD } });
    assert.equal(login.errors, undefined);
    const me = await call(t.url, MeDocument, {}, { accessToken: login.data!.login.accessToken });
    assert.equal(me.data!.me!.email, email);
  });

  it('an unknown email and a wrong password get the same code and message', async () => {
    const email = uniqueEmail();
    await signup(t.url, { email });
    const wrong = await call(t.url, LoginDocument, { input: { email, password: 'not the password' } });
    const unknown = await call(t.url, LoginDocument, { input: { email: uniqueEmail('nobody'), password: 'not the password' } });
    assertErrorCode(wrong, 'INVALID_CREDENTIALS');
    assertErrorCode(unknown, 'INVALID_CREDENTIALS');
    assert.equal(wrong.errors![0]!.message, unknown.errors![0]!.message);
  });
});
