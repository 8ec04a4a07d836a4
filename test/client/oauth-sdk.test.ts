import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKeycardClient, createMemoryRefreshTokenStore, KeycardApiError } from '../../src/client';
import { ManualClock } from '../support/clock';
import { startTestApp, type TestApp } from '../support/app';
import { PASSWORD, uniqueEmail } from '../support/graphql';
import { authorize, OIDC_CLIENT_ID, startOidcProvider } from '../support/oauth-providers';

const REDIRECT = 'com.example.keycard:/oauth';

describe('SDK social login (body mode, as a mobile app would)', () => {
  let t: TestApp;
  let oidc: Awaited<ReturnType<typeof startOidcProvider>>;
  before(async () => {
    oidc = await startOidcProvider();
    t = await startTestApp(
      { OAUTH_PROVIDERS: 'acme', OAUTH_ACME_CLIENT_ID: OIDC_CLIENT_ID, OAUTH_ACME_ISSUER: oidc.issuer, OAUTH_REDIRECT_URIS: REDIRECT },
      { clock: new ManualClock(Date.now()) },
    );
  });
  after(async () => {
    await t?.close();
    await oidc?.close();
  });

  it('authProviders, startOAuthLogin and completeOAuthLogin sign in and keep the refresh token in the store', async () => {
    const store = createMemoryRefreshTokenStore();
    const client = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'body', storage: store });
    assert.deepEqual(await client.authProviders(), [{ id: 'acme', name: 'Acme' }]);
    const email = uniqueEmail('sdk-oauth');
    oidc.as({ sub: `sdk-${email}`, email, email_verified: true });
    const { authorizationUrl } = await client.startOAuthLogin('acme', REDIRECT);
    const back = await authorize(authorizationUrl);
    const payload = await client.completeOAuthLogin('acme', back.code, back.state);
    assert.equal(store.get(), payload.refreshToken);
    assert.equal((await client.me())!.id, payload.user.id);
    const identities = await client.identities();
    assert.deepEqual(identities!.map((i) => [i.provider, i.email]), [['acme', email]]);
    await assert.rejects(client.unlinkIdentity(identities![0]!.id), (error: unknown) => error instanceof KeycardApiError && error.code === 'OAUTH_FAILED');
  });

  it('linkIdentity links a provider to the signed-in account; unlinkIdentity removes it', async () => {
    const client = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'body' });
    await client.signup({ email: uniqueEmail('sdk-link'), password: PASSWORD });
    oidc.as({ sub: `sdk-link-${Date.now()}`, email: uniqueEmail('elsewhere'), email_verified: false });
    const { authorizationUrl } = await client.startOAuthLogin('acme', REDIRECT, { link: true });
    const back = await authorize(authorizationUrl);
    const linked = await client.linkIdentity('acme', back.code, back.state);
    assert.equal(linked.provider, 'acme');
    assert.equal(await client.unlinkIdentity(linked.id), true);
    assert.deepEqual(await client.identities(), []);
  });
});
