import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChangePasswordDocument, LoginDocument, SignupDocument } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, PASSWORD, signup, uniqueEmail } from '../support/graphql';

/** Issue 17, Unicode: one rule for emails (ASCII, checked before case-folding), well-formed passwords. */
describe('#17 Unicode in emails and passwords', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  // U+212A KELVIN SIGN lower-cases to ASCII "k"; U+0130 to "i" + U+0307; U+017F (long s) upper-cases to "S".
  const folding = ['user\u212A@example.com', '\u0130nfo@example.com', 'po\u017Ft@example.com', 'm\u00FCller@example.com', 'user@b\u00FCcher.de', 'user@example.com\u200B'];

  it('#17 an email that is not ASCII is BAD_USER_INPUT on field email at signup, and nothing is stored', async () => {
    for (const email of folding) {
      const answer = await call(t.url, SignupDocument, { input: { email, password: PASSWORD } });
      assertErrorCode(answer, 'BAD_USER_INPUT', { field: 'email' });
    }
    assert.equal(await t.app.services.accounts.findUserByEmail('userk@example.com').catch(() => undefined), undefined, 'the Kelvin sign did not become userk@');
  });

  it('#17 the Kelvin spelling of an existing address cannot sign in to it', async () => {
    const email = `userk-${process.pid}@example.com`;
    await signup(t.url, { email });
    const answer = await call(t.url, LoginDocument, { input: { email: email.replace('k', '\u212A'), password: PASSWORD } });
    assertErrorCode(answer, 'BAD_USER_INPUT', { field: 'email' });
  });

  it('#17 an internationalised domain in its xn-- form is accepted, and upper-case ASCII still folds', async () => {
    const local = `idn${process.pid}`;
    const payload = await signup(t.url, { email: `${local.toUpperCase()}@XN--BCHER-KVA.example` });
    assert.equal(payload.user.email, `${local}@xn--bcher-kva.example`);
  });

  it('#17 a password with a lone surrogate is BAD_USER_INPUT on field password (signup, login) and newPassword (changePassword)', async () => {
    for (const password of ['abcdefgh\uD800', '\uDC00abcdefgh', 'abcd\uDFFF\uD800efgh']) {
      assertErrorCode(await call(t.url, SignupDocument, { input: { email: uniqueEmail(), password } }), 'BAD_USER_INPUT', { field: 'password' });
      assertErrorCode(await call(t.url, LoginDocument, { input: { email: uniqueEmail(), password } }), 'BAD_USER_INPUT', { field: 'password' });
    }
    const { accessToken } = await signup(t.url);
    const change = await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: 'abcdefgh\uD800' }, { accessToken });
    assertErrorCode(change, 'BAD_USER_INPUT', { field: 'newPassword' });
  });

  it('#17 a lone surrogate does not collide with U+FFFD: the well-formed password with U+FFFD works on its own', async () => {
    const email = uniqueEmail();
    await signup(t.url, { email, password: 'abcdefgh\uFFFD' });
    assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: 'abcdefgh\uD800' } }), 'BAD_USER_INPUT', { field: 'password' });
    const ok = await call(t.url, LoginDocument, { input: { email, password: 'abcdefgh\uFFFD' } });
    assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
  });
});
