import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MeDocument, RefreshDocument } from '../../src/client/generated/graphql';
import { createRefreshTokenRandomness, hashRefreshToken } from '../../src/tokens/refresh-token';
import { startTestApp, type TestApp } from '../support/app';
import { DAY, SECOND } from '../support/clock';
import { assertErrorCode, call, signup } from '../support/graphql';
import { inspectStorage } from '../support/storage-inspector';
import { millisecondsOfUuidV7, UUID_V7 } from '../support/uuid-v7';

describe('refresh token rotation', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ REFRESH_REUSE_GRACE: '10s', REFRESH_TOKEN_TTL: '14d', SESSION_MAX_AGE: '30d' });
  });
  afterEach(() => t.close());

  const refresh = (refreshToken: string) => call(t.url, RefreshDocument, { refreshToken });

  it('#11 rotates: R1 gives a new pair with R2 != R1, and R2 works', async () => {
    const { refreshToken: r1 } = await signup(t.url);
    const first = await refresh(r1);
    assert.equal(first.errors, undefined);
    const r2 = first.data!.refresh.refreshToken!;
    assert.notEqual(r2, r1);
    assert.match(r2, /^kcr_[A-Za-z0-9_-]{43}$/);
    const me = await call(t.url, MeDocument, {}, { accessToken: first.data!.refresh.accessToken });
    assert.ok(me.data!.me);
    const second = await refresh(r2);
    assert.equal(second.errors, undefined);
  });

  it('#13 R1 presented again inside the grace window gets the same successor, of the same session', async () => {
    const { refreshToken: r1 } = await signup(t.url);
    const first = await refresh(r1);
    t.clock.advance(5 * SECOND);
    const again = await refresh(r1);
    assert.equal(again.errors, undefined);
    assert.equal(again.data!.refresh.refreshToken, first.data!.refresh.refreshToken);
    const next = await refresh(again.data!.refresh.refreshToken!);
    assert.equal(next.errors, undefined);
  });

  it('#13 two refreshes with the same token at the same moment both end with a working pair of one session', async () => {
    const { refreshToken: r1 } = await signup(t.url);
    const [a, b] = await Promise.all([refresh(r1), refresh(r1)]);
    assert.equal(a.errors, undefined);
    assert.equal(b.errors, undefined);
    assert.equal(a.data!.refresh.refreshToken, b.data!.refresh.refreshToken);
    for (const result of [a, b]) {
      const me = await call(t.url, MeDocument, {}, { accessToken: result.data!.refresh.accessToken });
      assert.ok(me.data!.me, 'both access tokens work');
    }
    const sessions = await inspectStorage(t.app.storage).refreshTokens();
    assert.equal(new Set(sessions.map((s) => s.sessionId)).size, 1, 'one family');
    assert.equal(sessions.filter((s) => s.rotatedAt === null).length, 1, 'exactly one live token');
  });

  it('keys each refresh token by its creation time (UUIDv7), at signup and at every rotation, so new rows append to the key index', async () => {
    const { refreshToken: r1 } = await signup(t.url);
    t.clock.advance(3 * SECOND);
    const first = await refresh(r1);
    t.clock.advance(3 * SECOND);
    await refresh(first.data!.refresh.refreshToken!);
    const tokens = await inspectStorage(t.app.storage).refreshTokens();
    assert.equal(tokens.length, 3);
    for (const token of tokens) {
      assert.match(token.id, UUID_V7);
      assert.equal(millisecondsOfUuidV7(token.id), token.createdAt.getTime());
    }
    const byCreation = [...tokens].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    assert.deepEqual(byCreation.map((token) => token.id), tokens.map((token) => token.id).sort());
  });

  it('#11 #12 R1 after the grace window is reuse: REUSED, the whole family is revoked, and an audit event is written', async () => {
    const { refreshToken: r1 } = await signup(t.url);
    const first = await refresh(r1);
    const r2 = first.data!.refresh.refreshToken!;
    const accessOfR2 = first.data!.refresh.accessToken;
    t.clock.advance(11 * SECOND);

    assertErrorCode(await refresh(r1), 'INVALID_REFRESH_TOKEN', { reason: 'REUSED' });
    assertErrorCode(await refresh(r2), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: accessOfR2 }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    const events = (await t.app.storage.audit.page({ first: 100, type: 'REFRESH_TOKEN_REUSED' })).rows;
    assert.equal(events.length, 1);
  });

  it('#14 an idle session expires after REFRESH_TOKEN_TTL without use', async () => {
    const { refreshToken } = await signup(t.url);
    t.clock.advance(14 * DAY + SECOND);
    assertErrorCode(await refresh(refreshToken), 'INVALID_REFRESH_TOKEN', { reason: 'EXPIRED' });
  });

  it('#14 rotation slides the idle lifetime but never past SESSION_MAX_AGE', async () => {
    let { refreshToken } = await signup(t.url);
    for (let day = 0; day < 3; day++) {
      t.clock.advance(10 * DAY);
      const result = await refresh(refreshToken);
      if (day < 2) {
        assert.equal(result.errors, undefined, `day ${(day + 1) * 10}`);
        refreshToken = result.data!.refresh.refreshToken!;
        const expiresAt = Date.parse(result.data!.refresh.refreshTokenExpiresAt);
        assert.ok(expiresAt <= Date.parse('2026-01-01T12:00:00Z') + 30 * DAY, 'capped at the absolute lifetime');
      } else {
        assertErrorCode(result, 'INVALID_REFRESH_TOKEN', { reason: 'EXPIRED' });
      }
    }
  });

  it('#18 random, malformed and expired refresh tokens get the same code and message', async () => {
    const { refreshToken } = await signup(t.url);
    const random = await refresh('kcr_' + 'A'.repeat(43));
    const malformed = await refresh('not a token');
    t.clock.advance(15 * DAY);
    const expired = await refresh(refreshToken);
    assertErrorCode(random, 'INVALID_REFRESH_TOKEN', { reason: 'UNKNOWN' });
    assertErrorCode(malformed, 'INVALID_REFRESH_TOKEN', { reason: 'UNKNOWN' });
    assertErrorCode(expired, 'INVALID_REFRESH_TOKEN', { reason: 'EXPIRED' });
    assert.equal(new Set([random, malformed, expired].map((r) => r.errors![0]!.message)).size, 1);
  });

  it('refresh with neither an argument nor a cookie is BAD_USER_INPUT', async () => {
    assertErrorCode(await call(t.url, RefreshDocument, {}), 'BAD_USER_INPUT', { field: 'refreshToken' });
  });

  it('#10 1,000 issued tokens are distinct, 256-bit, and the database holds only their hashes', async () => {
    const { mintRefreshToken } = createRefreshTokenRandomness();
    const tokens = new Set(Array.from({ length: 1000 }, () => mintRefreshToken()));
    assert.equal(tokens.size, 1000);
    for (const token of tokens) assert.equal(Buffer.from(token.slice(4), 'base64url').length, 32);

    const { refreshToken } = await signup(t.url);
    const rows = await inspectStorage(t.app.storage).refreshTokens();
    const dump = JSON.stringify(await inspectStorage(t.app.storage).rawRows('refresh_tokens'));
    assert.ok(!dump.includes(refreshToken.slice(4)), 'no token in clear');
    assert.equal(rows[0]!.tokenHash, hashRefreshToken(refreshToken));
  });
});
