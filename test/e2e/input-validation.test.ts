import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LoginDocument, SignupDocument } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, PASSWORD, signup, uniqueEmail } from '../support/graphql';

describe('signup and login input', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const signupWith = (input: { email: string; password: string; displayName?: string }) => call(t.url, SignupDocument, { input });

  it('a malformed email is BAD_USER_INPUT on field email', async () => {
    for (const email of ['', 'no-at-sign', 'a@', '@b.co', `${'x'.repeat(250)}@b.co`]) {
      assertErrorCode(await signupWith({ email, password: PASSWORD }), 'BAD_USER_INPUT', { field: 'email' });
    }
  });

  it('passwords shorter than 8 or longer than 256 characters are BAD_USER_INPUT on field password', async () => {
    assertErrorCode(await signupWith({ email: uniqueEmail(), password: 'short' }), 'BAD_USER_INPUT', { field: 'password' });
    assertErrorCode(await signupWith({ email: uniqueEmail(), password: 'x'.repeat(257) }), 'BAD_USER_INPUT', { field: 'password' });
  });

  it('#28 a 64-character password works, and so do 256 emoji', async () => {
    await signup(t.url, { password: 'p'.repeat(64) });
    await signup(t.url, { password: '🔑'.repeat(256) });
  });

  it('#28 a 1 MB password is refused before any hashing (the body limit answers 413)', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation($i: SignupInput!) { signup(input: $i) { accessToken } }', variables: { i: { email: uniqueEmail(), password: 'x'.repeat(1024 * 1024) } } }),
    });
    assert.equal(response.status, 413);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0]!.extensions.code, 'BAD_USER_INPUT');
  });

  it('a display name with control characters or over 64 characters is BAD_USER_INPUT', async () => {
    for (const displayName of ['evil\u202Eeman', 'x'.repeat(65), '   ']) {
      assertErrorCode(await signupWith({ email: uniqueEmail(), password: PASSWORD, displayName }), 'BAD_USER_INPUT', { field: 'displayName' });
    }
  });

  it('an email registered already is EMAIL_TAKEN, in any letter case', async () => {
    const email = uniqueEmail();
    await signup(t.url, { email });
    assertErrorCode(await signupWith({ email: email.toUpperCase(), password: PASSWORD }), 'EMAIL_TAKEN');
  });

  it('the default display name does not reveal the email', async () => {
    const email = uniqueEmail('private.person');
    const { user } = await signup(t.url, { email });
    assert.ok(!user.displayName.includes('private'));
  });

  it('a missing required argument is BAD_USER_INPUT, not a crash', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { login(input: { email: "a@b.co" }) { accessToken } }' }),
    });
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0]!.extensions.code, 'BAD_USER_INPUT');
  });
});
