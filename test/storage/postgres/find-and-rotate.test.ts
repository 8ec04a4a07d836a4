import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, it } from 'node:test';
import type { RotationPlan } from '../../../src/storage/sessions';
import type { PostgresStorage } from '../../../src/storage/postgres/storage';
import { DAY, HOUR } from '../../support/clock';
import { onlyOn } from '../../support/dialect';
import { sqlOn, storageOpener, useTestDatabase } from '../../support/postgres';
import { insertSessionWithToken, insertUser } from '../../support/storage';

const NOW = new Date(Date.UTC(2026, 0, 1));
const LATER = new Date(NOW.getTime() + 14 * DAY);
const AT = new Date(NOW.getTime() + HOUR);

function planAt(at: Date, onlyIf: Partial<RotationPlan['onlyIf']> = {}): RotationPlan {
  return {
    at,
    nonce: crypto.randomBytes(16).toString('base64url'),
    successor: { id: crypto.randomUUID(), tokenHash: crypto.randomBytes(32).toString('hex'), uncappedExpiresAt: new Date(at.getTime() + 30 * DAY) },
    onlyIf: { userId: null, emailVerified: false, ...onlyIf },
    audit: { type: 'TOKEN_REFRESHED', ip: '192.0.2.1', userAgent: 'test' },
  };
}

/**
 * The refresh's one round trip on PostgreSQL (findAndRotate): the state it answers is
 * findRefreshState's, from before the rotation, and it rotates only what the session service
 * would (src/sessions/session.service.ts, `judge`), so the service's decision stays the one
 * that counts.
 */
// The PostgreSQL adapter's own method: SQLite has none (its refresh reads and rotates in the process).
onlyOn('postgres')('findAndRotate: the lookup and the rotation in one statement', () => {
  const database = useTestDatabase();
  const opener = storageOpener();
  let a: PostgresStorage;
  let b: PostgresStorage;
  before(async () => {
    a = await opener.open(database.url, { applicationName: 'A' });
    b = await opener.open(database.url, { applicationName: 'B' });
  });
  after(() => opener.closeAll());

  async function live(verified = true) {
    const user = await insertUser(a, NOW);
    if (verified) await sqlOn(database.url, 'UPDATE users SET email_verified_at = $2 WHERE id = $1', [user.id, NOW]);
    const token = await insertSessionWithToken(a, user.id, NOW, LATER);
    return { user, ...token };
  }
  const tokenRow = (id: string) => sqlOn<{ rotated_at: Date | null; replaced_by: string | null }>(database.url, 'SELECT rotated_at, replaced_by FROM refresh_tokens WHERE id = $1', [id]);
  const refreshedEvents = (sessionId: string) => sqlOn(database.url, `SELECT user_id, actor_id, ip, user_agent FROM audit_events WHERE type = 'TOKEN_REFRESHED' AND session_id = $1`, [sessionId]);

  it("answers findRefreshState's state as it was before, and rotates a current token: successor, session expiry and audit event", async () => {
    const { user, sessionId, tokenId, tokenHash } = await live();
    const before = await a.sessions.findRefreshState(tokenHash);
    const plan = planAt(AT);
    const { state, rotated } = await a.sessions.findAndRotate!(tokenHash, plan);
    assert.equal(rotated, true);
    assert.deepEqual(state, before);

    assert.deepEqual(await tokenRow(tokenId), [{ rotated_at: AT, replaced_by: plan.successor.id }]);
    const successor = await a.sessions.findRefreshState(plan.successor.tokenHash);
    // The session's absolute expiry (LATER) caps the successor's 30 days, and is its new idle expiry.
    assert.deepEqual(successor?.token, { id: plan.successor.id, createdAt: AT, expiresAt: LATER, rotatedAt: null, rotationNonce: null, replacedBy: null });
    assert.equal(successor?.session.expiresAt.getTime(), LATER.getTime());
    assert.equal((await a.sessions.findById(sessionId))?.lastUsedAt.getTime(), AT.getTime());
    assert.deepEqual(await refreshedEvents(sessionId), [{ user_id: user.id, actor_id: user.id, ip: '192.0.2.1', user_agent: 'test' }]);
  });

  it('a successor is capped by the uncapped expiry when that comes first', async () => {
    const { tokenHash } = await live();
    const plan = planAt(AT);
    plan.successor.uncappedExpiresAt = new Date(AT.getTime() + DAY);
    assert.equal((await a.sessions.findAndRotate!(tokenHash, plan)).rotated, true);
    assert.equal((await a.sessions.findRefreshState(plan.successor.tokenHash))?.token.expiresAt.getTime(), AT.getTime() + DAY);
  });

  const refusals: Array<[string, (f: Awaited<ReturnType<typeof live>>) => Promise<unknown>, (f: Awaited<ReturnType<typeof live>>) => RotationPlan]> = [
    ['the session was revoked', (f) => sqlOn(database.url, `UPDATE sessions SET revoked_at = $2, revoked_reason = 'LOGOUT' WHERE id = $1`, [f.sessionId, NOW]), () => planAt(AT)],
    ['the user is disabled', (f) => sqlOn(database.url, 'UPDATE users SET disabled_at = $2 WHERE id = $1', [f.user.id, NOW]), () => planAt(AT)],
    ['the token expired', (f) => sqlOn(database.url, 'UPDATE refresh_tokens SET expires_at = $2 WHERE id = $1', [f.tokenId, AT]), () => planAt(AT)],
    ['the session is idle-expired', (f) => sqlOn(database.url, 'UPDATE sessions SET expires_at = $2 WHERE id = $1', [f.sessionId, AT]), () => planAt(AT)],
    ['the session is past its absolute expiry', (f) => sqlOn(database.url, 'UPDATE sessions SET max_expires_at = $2 WHERE id = $1', [f.sessionId, AT]), () => planAt(AT)],
    ['the token was rotated already', (f) => sqlOn(database.url, 'UPDATE refresh_tokens SET rotated_at = $2 WHERE id = $1', [f.tokenId, NOW]), () => planAt(AT)],
    ['the bearer is another user', async () => {}, () => planAt(AT, { userId: crypto.randomUUID() })],
    ['email verification is required and the email is unverified', (f) => sqlOn(database.url, 'UPDATE users SET email_verified_at = NULL WHERE id = $1', [f.user.id]), () => planAt(AT, { emailVerified: true })],
  ];
  for (const [when, arrange, plan] of refusals) {
    it(`rotates nothing when ${when}, and answers the state as it is`, async () => {
      const fixture = await live();
      await arrange(fixture);
      const stored = await a.sessions.findRefreshState(fixture.tokenHash);
      const before = await tokenRow(fixture.tokenId);
      const { state, rotated } = await a.sessions.findAndRotate!(fixture.tokenHash, plan(fixture));
      assert.equal(rotated, false);
      assert.deepEqual(state, stored);
      assert.deepEqual(await tokenRow(fixture.tokenId), before);
      assert.deepEqual(await refreshedEvents(fixture.sessionId), []);
      assert.deepEqual(await sqlOn(database.url, 'SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [fixture.sessionId]), [{ n: 1 }]);
    });
  }

  it('the bearer who owns the token, and a verified email where required, rotate', async () => {
    const { user, tokenHash } = await live();
    assert.equal((await a.sessions.findAndRotate!(tokenHash, planAt(AT, { userId: user.id, emailVerified: true }))).rotated, true);
  });

  it('an unknown token: no state, nothing rotated', async () => {
    assert.deepEqual(await a.sessions.findAndRotate!(crypto.randomBytes(32).toString('hex'), planAt(AT)), { state: undefined, rotated: false });
  });

  it('one token on two instances at once: exactly one rotation, one successor', async () => {
    for (let round = 0; round < 10; round++) {
      const { sessionId, tokenHash } = await live();
      const outcomes = await Promise.all([a.sessions.findAndRotate!(tokenHash, planAt(AT)), b.sessions.findAndRotate!(tokenHash, planAt(AT))]);
      assert.equal(outcomes.filter((o) => o.rotated).length, 1);
      assert.deepEqual(await sqlOn(database.url, 'SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [sessionId]), [{ n: 2 }]);
    }
  });
});
