import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createKeycardClient, createMemoryRefreshTokenStore, KeycardApiError, type KeycardClient } from '../../src/client';
import { startTestApp, type TestApp } from '../support/app';
import { HOUR, MINUTE } from '../support/clock';
import { deferred } from '../support/deferred';
import { PASSWORD, uniqueEmail } from '../support/graphql';
import { isOperation, recordingFetch, type RecordedRequest, type RecordingFetch } from './support/recording-fetch';

/** Past ACCESS_TOKEN_TTL (15m) and the 5 s clock tolerance, well inside REFRESH_TOKEN_TTL. */
const PAST_ACCESS_TOKEN_LIFETIME = 16 * MINUTE;

describe('SDK: refresh on an expired access token (body mode)', () => {
  let t: TestApp;
  let recorder: RecordingFetch;
  let client: KeycardClient;
  beforeEach(async () => {
    t = await startTestApp({ ACCESS_TOKEN_TTL: '15m', REFRESH_TOKEN_TTL: '1h', CLOCK_TOLERANCE: '5s' });
    recorder = recordingFetch();
    client = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'body', fetch: recorder.fetch });
    await client.signup({ email: uniqueEmail('sdk'), password: PASSWORD });
  });
  afterEach(() => t.close());

  it('an expired access token is refreshed once and the call retried: me succeeds', async () => {
    const before = client.accessToken();
    t.clock.advance(PAST_ACCESS_TOKEN_LIFETIME);
    const me = await client.me();
    assert.ok(me, 'signed in after the retry');
    assert.equal(recorder.count('Refresh'), 1);
    assert.equal(recorder.count('Me'), 2, 'the first attempt, then one retry');
    assert.notEqual(client.accessToken(), before, 'a new access token is in memory');
    const retry = recorder.requests.filter((request) => isOperation(request, 'Me'))[1]!;
    assert.equal(retry.headers.get('authorization'), `Bearer ${client.accessToken()}`);
  });

  it('8 concurrent calls with an expired access token trigger exactly one refresh, and all succeed', async () => {
    t.clock.advance(PAST_ACCESS_TOKEN_LIFETIME);
    const results = await Promise.all(Array.from({ length: 8 }, () => client.me()));
    for (const me of results) assert.ok(me, 'every call ends signed in');
    assert.equal(recorder.count('Refresh'), 1);
    assert.equal(recorder.count('Me'), 16);
  });

  it('a call whose expired answer arrives after another call already refreshed retries with the new token, without a second refresh', async () => {
    // Hold the first Me answer back until the other call has finished (refreshed, then retried):
    // the late call then sees a newer token in memory than the one it was sent with.
    const otherCallDone = deferred();
    let heldOne = false;
    const slow = recordingFetch(fetch, (request: RecordedRequest) => {
      if (isOperation(request, 'Me') && !heldOne) {
        heldOne = true;
        return otherCallDone.promise;
      }
      return undefined;
    });
    const store = createMemoryRefreshTokenStore();
    const late = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'body', fetch: slow.fetch, storage: store });
    await late.login({ email: (await client.me())!.email!, password: PASSWORD });
    const expired = late.accessToken();
    t.clock.advance(PAST_ACCESS_TOKEN_LIFETIME);
    const calls = [late.me(), late.me()];
    // The held call cannot finish first, so the first to settle is the other one.
    void Promise.race(calls).then(
      () => otherCallDone.resolve(),
      () => otherCallDone.resolve(),
    );
    const [first, second] = await Promise.all(calls);
    assert.ok(first && second);
    assert.equal(slow.count('Refresh'), 1);
    assert.deepEqual(
      slow.requests.filter((request) => isOperation(request, 'Me')).map((request) => request.headers.get('authorization')),
      [`Bearer ${expired}`, `Bearer ${expired}`, `Bearer ${late.accessToken()}`, `Bearer ${late.accessToken()}`],
      'both calls went out with the expired token, and both retried with the one new token',
    );
  });

  it('an explicit refresh() called concurrently sends one request and every caller gets the same pair', async () => {
    const results = await Promise.all([client.refresh(), client.refresh(), client.refresh()]);
    assert.equal(recorder.count('Refresh'), 1);
    assert.equal(new Set(results.map((payload) => payload.accessToken)).size, 1);
  });

  it('the retry happens once: when the refresh itself fails the caller gets the original UNAUTHENTICATED TOKEN_EXPIRED and the client forgets its tokens', async () => {
    t.clock.advance(2 * HOUR); // past the 1 h refresh idle lifetime too
    await assert.rejects(client.me(), (error: unknown) => {
      assert.ok(error instanceof KeycardApiError);
      assert.equal(error.code, 'UNAUTHENTICATED');
      assert.equal(error.reason, 'TOKEN_EXPIRED');
      return true;
    });
    assert.equal(recorder.count('Refresh'), 1);
    assert.equal(recorder.count('Me'), 1, 'no retry without a new token');
    assert.equal(client.accessToken(), null);
    await assert.rejects(client.refresh(), (error: unknown) => error instanceof KeycardApiError && error.code === 'UNAUTHENTICATED' && error.reason === 'TOKEN_MISSING');
    assert.equal(recorder.count('Refresh'), 1, 'nothing left to refresh with: no request');
  });

  it('a revoked token is not refreshed: only TOKEN_EXPIRED triggers the retry', async () => {
    const other = createKeycardClient({ endpoint: `${t.url}/graphql`, mode: 'body' });
    await other.login({ email: (await client.me())!.email!, password: PASSWORD });
    await other.logoutAll();
    await assert.rejects(client.me(), (error: unknown) => error instanceof KeycardApiError && error.code === 'UNAUTHENTICATED' && error.reason === 'TOKEN_REVOKED');
    assert.equal(recorder.count('Refresh'), 0);
  });
});
