import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MeDocument, RefreshDocument, MySessionsDocument } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { SECOND } from '../support/clock';
import { assertErrorCode, call, signup } from '../support/graphql';

const GRACE = { REFRESH_REUSE_GRACE: '10s', REFRESH_TOKEN_TTL: '14d', SESSION_MAX_AGE: '30d' };

async function rotated(t: TestApp, refreshToken: string) {
  const result = await call(t.url, RefreshDocument, { refreshToken });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return result.data!.refresh;
}

describe('grace replay across more than one rotation (R1 -> R2 -> R3, then R1 again)', () => {
  it('inside the window of every rotation on the way, R1 is led to the live token R3 of the same session', async () => {
    const t = await startTestApp(GRACE);
    try {
      const { refreshToken: r1 } = await signup(t.url);
      const r2 = (await rotated(t, r1)).refreshToken!;
      t.clock.advance(3 * SECOND);
      const r3 = (await rotated(t, r2)).refreshToken!;
      t.clock.advance(3 * SECOND);

      const replay = await rotated(t, r1);
      assert.equal(replay.refreshToken, r3, 'the live end of the chain, not the dead R2');
      const sessions = await call(t.url, MySessionsDocument, {}, { accessToken: replay.accessToken });
      assert.equal(sessions.errors, undefined);
      assert.equal(sessions.data!.me!.sessions!.length, 1, 'still one session: the family did not fork');
      // R3 keeps working for whoever holds it.
      assert.notEqual((await rotated(t, r3)).refreshToken, r3);
    } finally {
      await t.close();
    }
  });

  it('R2 replayed inside its own window after R3 was rotated is led to R4', async () => {
    const t = await startTestApp(GRACE);
    try {
      const { refreshToken: r1 } = await signup(t.url);
      const r2 = (await rotated(t, r1)).refreshToken!;
      const r3 = (await rotated(t, r2)).refreshToken!;
      const r4 = (await rotated(t, r3)).refreshToken!;
      t.clock.advance(9 * SECOND);
      assert.equal((await rotated(t, r2)).refreshToken, r4);
    } finally {
      await t.close();
    }
  });

  it('once the first rotation on the way is older than the window, R1 is reuse: REUSED, and R3 is revoked with the session', async () => {
    const t = await startTestApp(GRACE);
    try {
      const { refreshToken: r1 } = await signup(t.url);
      const r2 = (await rotated(t, r1)).refreshToken!;
      t.clock.advance(8 * SECOND);
      const r3Payload = await rotated(t, r2);
      t.clock.advance(3 * SECOND); // R1 was rotated 11 s ago, R2 only 3 s ago

      assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: r1 }), 'INVALID_REFRESH_TOKEN', { reason: 'REUSED' });
      assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: r3Payload.refreshToken! }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
      assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: r3Payload.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    } finally {
      await t.close();
    }
  });
});
