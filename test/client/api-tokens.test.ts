import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createKeycardClient, KeycardApiError, MeDocument } from '../../src/client';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, PASSWORD, uniqueEmail } from '../support/graphql';

describe('SDK: API tokens', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('createApiToken returns the token once, apiTokens lists it, revokeApiToken ends it', async () => {
    const client = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'body' });
    await client.signup({ email: uniqueEmail('sdk'), password: PASSWORD });
    const created = await client.createApiToken({ name: 'deploy', scopes: ['read:profile'], expiresIn: '7d' });
    assert.match(created.token, /^kcp_/);
    assert.deepEqual(created.apiToken.scopes, ['read:profile']);
    assert.deepEqual((await client.apiTokens())!.map((token) => token.id), [created.apiToken.id]);
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: created.token })).errors, undefined);
    assert.equal(await client.revokeApiToken(created.apiToken.id), true);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: created.token }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    assert.deepEqual(await client.apiTokens(), []);
  });

  it('a scope the role does not allow rejects with BAD_USER_INPUT; without a session apiTokens is null', async () => {
    const client = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'body' });
    assert.equal(await client.apiTokens(), null);
    await client.signup({ email: uniqueEmail('sdk'), password: PASSWORD });
    await assert.rejects(client.createApiToken({ name: 'x', scopes: ['write:users'] }), (error: unknown) => error instanceof KeycardApiError && error.code === 'BAD_USER_INPUT');
  });
});
