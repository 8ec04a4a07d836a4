import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createKeycardClient, createMemoryRefreshTokenStore, KeycardApiError, MeDocument, RefreshDocument, UserByIdDocument } from '../../src/client';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, PASSWORD, uniqueEmail } from '../support/graphql';
import { recordingFetch } from './support/recording-fetch';

describe('SDK in body mode', () => {
  let t: TestApp;
  let endpoint: string;
  beforeEach(async () => {
    t = await startTestApp();
    endpoint = `${t.url}/graphql`;
  });
  afterEach(() => t.close());

  it('signup keeps the access token in memory, the refresh token in the store, and sends the access token as Bearer', async () => {
    const store = createMemoryRefreshTokenStore();
    const recorder = recordingFetch();
    const client = createKeycardClient({ endpoint, mode: 'body', fetch: recorder.fetch, storage: store });
    const payload = await client.signup({ email: uniqueEmail('sdk'), password: PASSWORD, displayName: 'Ada' });
    assert.equal(store.get(), payload.refreshToken);
    assert.equal(client.accessToken(), payload.accessToken);
    assert.equal(recorder.requests[0]!.variables.input && (recorder.requests[0]!.variables.input as { delivery: string }).delivery, 'BODY');
    const me = await client.me();
    assert.equal(me!.displayName, 'Ada');
    assert.equal(recorder.requests[1]!.headers.get('authorization'), `Bearer ${payload.accessToken}`);
  });

  it('login failures reject with a KeycardApiError carrying the contract code', async () => {
    const client = createKeycardClient({ endpoint, mode: 'body' });
    await assert.rejects(client.login({ email: uniqueEmail('nobody'), password: PASSWORD }), (error: unknown) => {
      assert.ok(error instanceof KeycardApiError);
      assert.equal(error.code, 'INVALID_CREDENTIALS');
      return true;
    });
    assert.equal(client.accessToken(), null);
  });

  it('me is null before anyone signs in', async () => {
    assert.equal(await createKeycardClient({ endpoint, mode: 'body' }).me(), null);
  });

  it('refresh rotates the stored refresh token; a new client on the same store resumes the session', async () => {
    const store = createMemoryRefreshTokenStore();
    const first = createKeycardClient({ endpoint, mode: 'body', storage: store });
    const signedUp = await first.signup({ email: uniqueEmail('sdk'), password: PASSWORD });
    const resumed = createKeycardClient({ endpoint, mode: 'body', storage: store });
    assert.equal(await resumed.me(), null, 'no access token yet');
    const refreshed = await resumed.refresh();
    assert.notEqual(store.get(), signedUp.refreshToken, 'rotated');
    assert.equal(store.get(), refreshed.refreshToken);
    assert.equal((await resumed.me())!.id, signedUp.user.id);
  });

  it('sessions lists the live sessions of the user and marks this one current', async () => {
    const email = uniqueEmail('sdk');
    const phone = createKeycardClient({ endpoint, mode: 'body' });
    await phone.signup({ email, password: PASSWORD });
    const laptop = createKeycardClient({ endpoint, mode: 'body' });
    await laptop.login({ email, password: PASSWORD });
    const sessions = await laptop.sessions();
    assert.equal(sessions!.length, 2);
    assert.equal(sessions!.filter((session) => session.current).length, 1);
  });

  it('logout ends the session on the server and clears the store and the access token', async () => {
    const store = createMemoryRefreshTokenStore();
    const client = createKeycardClient({ endpoint, mode: 'body', storage: store });
    const { refreshToken, accessToken } = await client.signup({ email: uniqueEmail('sdk'), password: PASSWORD });
    assert.equal(await client.logout(), true);
    assert.equal(store.get(), null);
    assert.equal(client.accessToken(), null);
    assertErrorCode(await call(t.url, RefreshDocument, { refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    assert.equal(await client.logout(), false, 'nothing left to end');
  });

  it('logoutAll ends every session of the user', async () => {
    const email = uniqueEmail('sdk');
    const phone = createKeycardClient({ endpoint, mode: 'body' });
    await phone.signup({ email, password: PASSWORD });
    const laptop = createKeycardClient({ endpoint, mode: 'body' });
    await laptop.login({ email, password: PASSWORD });
    assert.equal(await laptop.logoutAll(), true);
    await assert.rejects(phone.me(), (error: unknown) => error instanceof KeycardApiError && error.code === 'UNAUTHENTICATED' && error.reason === 'TOKEN_REVOKED');
    assert.equal(laptop.accessToken(), null);
  });

  it('request runs any typed document and keeps partial data next to field errors', async () => {
    const owner = createKeycardClient({ endpoint, mode: 'body' });
    const { user } = await owner.signup({ email: uniqueEmail('sdk'), password: PASSWORD });
    const stranger = createKeycardClient({ endpoint, mode: 'body' });
    await stranger.signup({ email: uniqueEmail('sdk'), password: PASSWORD });
    const result = await stranger.request(UserByIdDocument, { id: user.id });
    assert.equal(result.data!.user!.id, user.id);
    assert.equal(result.data!.user!.email, null);
    assert.equal(result.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });
});

describe('SDK device approval (RFC 8628)', () => {
  it('deviceRequest shows what the device asks for; approveDevice and denyDevice decide; an unknown code is null or NOT_FOUND', async () => {
    const t = await startTestApp({ JWT_ISSUER: 'http://keycard.test', OAUTH_DEVICE_CLIENTS: 'tv' });
    try {
      const endpoint = `${t.url}/graphql`;
      const client = createKeycardClient({ endpoint, mode: 'body' });
      await client.signup({ email: uniqueEmail('sdk'), password: PASSWORD });
      const start = async () => {
        const response = await fetch(`${t.url}/oauth/device_authorization`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=tv&scope=read:profile' });
        return ((await response.json()) as { user_code: string }).user_code;
      };
      const first = await start();
      const request = await client.deviceRequest(first);
      assert.deepEqual({ clientId: request!.clientId, scopes: request!.scopes }, { clientId: 'tv', scopes: ['read:profile'] });
      assert.equal(await client.approveDevice(first), true);
      assert.equal(await client.deviceRequest(first), null, 'decided: no longer shown');
      assert.equal(await client.denyDevice(await start()), true);
      await assert.rejects(client.approveDevice('ZZZZ-ZZZZ'), (error: unknown) => error instanceof KeycardApiError && error.code === 'NOT_FOUND');
    } finally {
      await t.close();
    }
  });
});
