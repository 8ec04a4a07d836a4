import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createKeycardClient, createMemoryRefreshTokenStore, KeycardApiError, MyEmailStatusDocument } from '../../src/client';
import { startTestApp, type TestApp } from '../support/app';
import { PASSWORD, uniqueEmail } from '../support/graphql';
import { tokensOf } from '../support/smtp-server';

describe('SDK email methods (body mode, the dev outbox)', () => {
  let t: TestApp;
  let endpoint: string;
  beforeEach(async () => {
    t = await startTestApp();
    endpoint = `${t.url}/graphql`;
  });
  afterEach(async () => {
    await t.app.mailer.idle();
    await t.close();
  });

  /** The newest mail to `email` in the dev outbox, once the work off the request path is done. */
  async function lastMailTo(email: string) {
    await t.app.mailer.idle();
    const mail = t.app.mailer.outbox!.list().find((m) => m.to === email);
    assert.ok(mail, `a mail to ${email}`);
    return tokensOf(mail);
  }

  const client = () => createKeycardClient({ endpoint, mode: 'body', storage: createMemoryRefreshTokenStore() });

  it('requestEmailVerification and verifyEmail (a code, defaulting to the signed-in address)', async () => {
    const email = uniqueEmail('sdk-verify');
    const sdk = client();
    await sdk.signup({ email, password: PASSWORD });
    assert.equal(await sdk.requestEmailVerification(), true);
    const { code } = await lastMailTo(email);
    assert.equal(await sdk.verifyEmail(code), true);
    const { data } = await sdk.request(MyEmailStatusDocument, {});
    assert.equal(data?.me?.emailVerified, true);
  });

  it('requestPasswordReset and resetPassword (a link token): the client forgets its ended session', async () => {
    const email = uniqueEmail('sdk-reset');
    const sdk = client();
    await sdk.signup({ email, password: PASSWORD });
    assert.equal(await sdk.requestPasswordReset(email), true);
    assert.equal(await sdk.requestPasswordReset(uniqueEmail('nobody')), true);
    const { token } = await lastMailTo(email);
    assert.equal(await sdk.resetPassword(token, 'the new passphrase'), true);
    assert.equal(sdk.accessToken(), null);
    await sdk.login({ email, password: 'the new passphrase' });
    await assert.rejects(sdk.resetPassword(token, 'another passphrase'), (error: unknown) => error instanceof KeycardApiError && error.code === 'INVALID_ONE_TIME_TOKEN' && error.reason === 'USED');
  });

  it('requestMagicLink and loginWithMagicLink (a code with its address) sign the client in', async () => {
    const email = uniqueEmail('sdk-magic');
    await client().signup({ email, password: PASSWORD });
    const sdk = client();
    assert.equal(await sdk.requestMagicLink(email), true);
    const { code } = await lastMailTo(email);
    const payload = await sdk.loginWithMagicLink(code, email);
    assert.equal(payload.user.email, email);
    assert.equal(sdk.accessToken(), payload.accessToken);
    assert.equal((await sdk.me())?.email, email);
  });

  it('changeEmail mails the new address; verifyEmail with its link moves the account', async () => {
    const email = uniqueEmail('sdk-old');
    const newEmail = uniqueEmail('sdk-new');
    const sdk = client();
    await sdk.signup({ email, password: PASSWORD });
    assert.equal(await sdk.changeEmail(newEmail, PASSWORD), true);
    const { token } = await lastMailTo(newEmail);
    assert.equal(await sdk.verifyEmail(token), true);
    assert.equal((await sdk.me())?.email, newEmail);
  });
});
