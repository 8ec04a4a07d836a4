import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogoutDocument, MeDocument, RefreshDocument } from '../../src/client/generated/graphql';
import { startTestApp } from '../support/app';
import { assertErrorCode, call, signup } from '../support/graphql';

describe("another user's refresh token", () => {
  it('sent with a valid access token of someone else, refresh gets the same answer as a random token, and nothing rotates', async () => {
    const t = await startTestApp();
    try {
      const alice = await signup(t.url);
      const bob = await signup(t.url);
      const foreign = await call(t.url, RefreshDocument, { refreshToken: bob.refreshToken }, { accessToken: alice.accessToken });
      const random = await call(t.url, RefreshDocument, { refreshToken: 'kcr_' + 'A'.repeat(43) }, { accessToken: alice.accessToken });
      assertErrorCode(foreign, 'INVALID_REFRESH_TOKEN', { reason: 'UNKNOWN' });
      assertErrorCode(random, 'INVALID_REFRESH_TOKEN', { reason: 'UNKNOWN' });
      assert.equal(foreign.errors![0]!.message, random.errors![0]!.message);
      assert.deepEqual(foreign.errors![0]!.extensions, random.errors![0]!.extensions);

      // Bob's token was not rotated: it still works for Bob, once, as a fresh token does.
      const own = await call(t.url, RefreshDocument, { refreshToken: bob.refreshToken }, { accessToken: bob.accessToken });
      assert.equal(own.errors, undefined, JSON.stringify(own.errors));
      assert.notEqual(own.data!.refresh.refreshToken, bob.refreshToken);
    } finally {
      await t.close();
    }
  });

  it("logout with another user's refresh token answers false, like an unknown token, and that user's session lives on", async () => {
    const t = await startTestApp();
    try {
      const alice = await signup(t.url);
      const bob = await signup(t.url);
      const foreign = await call(t.url, LogoutDocument, { refreshToken: bob.refreshToken }, { accessToken: alice.accessToken });
      const random = await call(t.url, LogoutDocument, { refreshToken: 'kcr_' + 'A'.repeat(43) }, { accessToken: alice.accessToken });
      assert.deepEqual(foreign, random);
      assert.deepEqual(foreign.data, { logout: false });
      assert.equal((await call(t.url, MeDocument, {}, { accessToken: bob.accessToken })).errors, undefined, "Bob's session still works");
      assert.equal((await call(t.url, MeDocument, {}, { accessToken: alice.accessToken })).errors, undefined, "Alice's too");
    } finally {
      await t.close();
    }
  });

  it('without an access token, or with an expired one, a refresh token alone still refreshes its own session', async () => {
    const t = await startTestApp({ ACCESS_TOKEN_TTL: '15m' });
    try {
      const bob = await signup(t.url);
      t.clock.advance(16 * 60_000);
      assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: bob.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_EXPIRED' });
      const refreshed = await call(t.url, RefreshDocument, { refreshToken: bob.refreshToken }, { accessToken: bob.accessToken });
      assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
    } finally {
      await t.close();
    }
  });
});
