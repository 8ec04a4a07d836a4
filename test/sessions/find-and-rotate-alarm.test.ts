import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogoutDocument, RefreshDocument } from '../../src/client/generated/graphql';
import type { SessionRepository } from '../../src/storage/sessions';
import type { Storage } from '../../src/storage/storage';
import { withTestApp } from '../support/app';
import { assertErrorCode, call, signup } from '../support/graphql';
import { openTestStorage } from '../support/storage';

/**
 * A storage whose findAndRotate rotates whatever the token's state: the session service must
 * not hand out tokens the state refuses, nor answer as if nothing had been written.
 */
function careless(storage: Storage): Storage {
  const sessions: SessionRepository = {
    ...storage.sessions,
    async findAndRotate(tokenHash, plan) {
      const state = await storage.sessions.findRefreshState(tokenHash);
      if (!state) return { state, rotated: false };
      const expiresAt = new Date(Math.min(plan.successor.uncappedExpiresAt.getTime(), state.session.maxExpiresAt.getTime()));
      const rotated = await storage.sessions.rotate({
        tokenId: state.token.id,
        at: plan.at,
        nonce: plan.nonce,
        successor: { id: plan.successor.id, tokenHash: plan.successor.tokenHash, createdAt: plan.at, expiresAt },
        sessionId: state.session.id,
        sessionExpiresAt: expiresAt,
        audit: { ...plan.audit, userId: state.user.id, sessionId: state.session.id },
      });
      return { state, rotated };
    },
  };
  return { ...storage, sessions };
}

describe('refresh through a one-round-trip storage (findAndRotate)', () => {
  it('a rotation the service would have refused answers INTERNAL_SERVER_ERROR, never the refusal or new tokens', async () => {
    const storage = careless(await openTestStorage());
    await withTestApp(
      {},
      async (t) => {
        const user = await signup(t.url);
        assert.equal((await call(t.url, LogoutDocument, { refreshToken: user.refreshToken }, { accessToken: user.accessToken })).errors, undefined);
        const refreshed = await call(t.url, RefreshDocument, { refreshToken: user.refreshToken });
        assertErrorCode(refreshed, 'INTERNAL_SERVER_ERROR');
        assert.equal(refreshed.data?.refresh ?? null, null);
      },
      { storage },
    );
  });

  it('a current token is rotated once, by the one round trip', async () => {
    const storage = careless(await openTestStorage());
    await withTestApp(
      {},
      async (t) => {
        const user = await signup(t.url);
        const refreshed = await call(t.url, RefreshDocument, { refreshToken: user.refreshToken });
        assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
        const again = await call(t.url, RefreshDocument, { refreshToken: refreshed.data!.refresh.refreshToken! });
        assert.equal(again.errors, undefined, JSON.stringify(again.errors));
      },
      { storage },
    );
  });
});
