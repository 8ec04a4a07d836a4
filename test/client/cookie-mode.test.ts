import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createKeycardClient, KeycardApiError } from '../../src/client';
import { startTestApp, type TestApp } from '../support/app';
import { MINUTE } from '../support/clock';
import { PASSWORD, uniqueEmail } from '../support/graphql';
import { cookieJarFetch } from './support/cookie-jar-fetch';
import { isOperation, recordingFetch } from './support/recording-fetch';

const REFRESH_COOKIE = '__Host-keycard-refresh';
const CSRF_COOKIE = '__Host-keycard-csrf';

describe('SDK in cookie mode (Node, with a cookie jar standing in for the browser)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('signs in with delivery COOKIE, never holds the refresh token, and refreshes by cookie with X-CSRF-Token', async () => {
    const jar = cookieJarFetch();
    const recorder = recordingFetch(jar.fetch);
    const client = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'cookie', fetch: recorder.fetch });
    const payload = await client.signup({ email: uniqueEmail('cookie'), password: PASSWORD });
    assert.equal(payload.refreshToken, null);
    assert.ok(payload.csrfToken);
    assert.ok(jar.cookies.get(REFRESH_COOKIE), 'the refresh token is only in the cookie jar');

    t.clock.advance(16 * MINUTE);
    assert.ok(await client.me(), 'refreshed by cookie and retried');
    const refresh = recorder.requests.find((request) => isOperation(request, 'Refresh'))!;
    assert.equal(refresh.headers.get('x-csrf-token'), payload.csrfToken);
    assert.deepEqual(refresh.variables, {}, 'no refresh token argument');
  });

  it('logout sends X-CSRF-Token, ends the session and the server clears both cookies', async () => {
    const jar = cookieJarFetch();
    const client = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'cookie', fetch: jar.fetch });
    await client.signup({ email: uniqueEmail('cookie'), password: PASSWORD });
    assert.equal(await client.logout(), true);
    assert.equal(jar.cookies.has(REFRESH_COOKIE), false);
    assert.equal(jar.cookies.has(CSRF_COOKIE), false);
    assert.equal(client.accessToken(), null);
  });

  it('a client that never saw the CSRF token cannot use the cookie: FORBIDDEN CSRF_TOKEN_INVALID', async () => {
    const jar = cookieJarFetch();
    const victim = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'cookie', fetch: jar.fetch });
    await victim.signup({ email: uniqueEmail('cookie'), password: PASSWORD });
    const blind = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'cookie', fetch: jar.fetch });
    await assert.rejects(blind.refresh(), (error: unknown) => error instanceof KeycardApiError && error.code === 'FORBIDDEN' && error.reason === 'CSRF_TOKEN_INVALID');
    assert.ok(await victim.refresh(), 'the session is intact');
  });
});
