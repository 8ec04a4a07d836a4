import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, afterEach, before, it } from 'node:test';
import { pruneExpired } from '../../../src/sessions/prune';
import type { PostgresStorage } from '../../../src/storage/postgres/storage';
import { DAY, HOUR, ManualClock, MINUTE } from '../../support/clock';
import { sqlOn, storageOpener, useTestDatabase } from '../../support/postgres';
import { insertSession, insertSessionWithToken, insertUser, rotationOf } from './fixtures';
import { onlyOn } from '../../support/dialect';

const NOW = new Date(Date.UTC(2026, 0, 1));
const LATER = new Date(NOW.getTime() + 14 * DAY);

// The PostgreSQL adapter's own tests: registered on the PostgreSQL pass only
// (test/support/dialect.ts), where the rest of the suite runs on PostgreSQL too; the SQLite
// pass would run them unchanged a second time.
onlyOn('postgres')('PostgreSQL sessions', () => {
  const database = useTestDatabase();
  const opener = storageOpener();
  let a: PostgresStorage;
  let b: PostgresStorage;
  before(async () => {
    a = await opener.open(database.url, { applicationName: 'A' });
    b = await opener.open(database.url, { applicationName: 'B' });
  });
  after(() => opener.closeAll());

  it('creates a session, its first refresh token and LOGIN_SUCCEEDED together; reads them back as on SQLite', async () => {
    const user = await insertUser(a, NOW);
    const s = await insertSessionWithToken(a, user.id, NOW, LATER);
    assert.deepEqual(await a.sessions.findById(s.id), {
      id: s.id,
      userId: user.id,
      createdAt: NOW,
      lastUsedAt: NOW,
      expiresAt: LATER,
      maxExpiresAt: LATER,
      revokedAt: null,
      revokedReason: null,
      userAgent: null,
      ip: null,
      csrfTokenHash: null,
    });
    assert.deepEqual(await a.sessions.findTokenById(s.tokenId), {
      id: s.tokenId,
      sessionId: s.id,
      tokenHash: s.tokenHash,
      createdAt: NOW,
      expiresAt: LATER,
      rotatedAt: null,
      rotationNonce: null,
      replacedBy: null,
    });
    const state = await a.sessions.findRefreshState(s.tokenHash);
    assert.deepEqual(state, {
      token: { id: s.tokenId, expiresAt: LATER, rotatedAt: null, rotationNonce: null, replacedBy: null },
      session: { id: s.id, csrfTokenHash: null, revokedAt: null, expiresAt: LATER, maxExpiresAt: LATER },
      user: { id: user.id, email: user.email, displayName: 'someone', role: 'USER', disabledAt: null, createdAt: NOW },
    });
    assert.equal(await a.sessions.findRefreshState('unknown'), undefined);
    assert.equal(await a.sessions.findById('unknown'), undefined);
    assert.equal(await a.sessions.findTokenById('unknown'), undefined);
    assert.deepEqual((await a.audit.page({ first: 10, userId: user.id, type: 'LOGIN_SUCCEEDED' })).rows.map((e) => e.sessionId), [s.id]);
  });

  it('a session whose token cannot be inserted is not created (and neither is its audit event)', async () => {
    const user = await insertUser(a, NOW);
    const first = await insertSessionWithToken(a, user.id, NOW, LATER);
    const id = crypto.randomUUID();
    await assert.rejects(
      a.sessions.create(
        { id, userId: user.id, createdAt: NOW, lastUsedAt: NOW, expiresAt: LATER, maxExpiresAt: LATER },
        { id: crypto.randomUUID(), tokenHash: first.tokenHash, createdAt: NOW, expiresAt: LATER },
        { type: 'LOGIN_SUCCEEDED', userId: user.id, sessionId: id },
      ),
    );
    assert.equal(await a.sessions.findById(id), undefined);
    assert.equal((await a.audit.page({ first: 10, userId: user.id, type: 'LOGIN_SUCCEEDED' })).rows.length, 1);
  });

  it('rotate marks the token, inserts the successor, slides the session and writes the audit event; a second rotation is refused', async () => {
    const user = await insertUser(a, NOW);
    const s = await insertSessionWithToken(a, user.id, NOW, LATER);
    const at = new Date(NOW.getTime() + HOUR);
    const slid = new Date(LATER.getTime() + HOUR);
    const r = rotationOf(s, user.id, at, slid);
    assert.equal(await a.sessions.rotate(r), true);
    assert.deepEqual(await a.sessions.findTokenById(s.tokenId), {
      id: s.tokenId,
      sessionId: s.id,
      tokenHash: s.tokenHash,
      createdAt: NOW,
      expiresAt: LATER,
      rotatedAt: at,
      rotationNonce: r.nonce,
      replacedBy: r.successor.id,
    });
    assert.deepEqual(await a.sessions.findTokenById(r.successor.id), {
      id: r.successor.id,
      sessionId: s.id,
      tokenHash: r.successor.tokenHash,
      createdAt: at,
      expiresAt: slid,
      rotatedAt: null,
      rotationNonce: null,
      replacedBy: null,
    });
    const session = (await a.sessions.findById(s.id))!;
    assert.deepEqual([session.lastUsedAt, session.expiresAt, session.maxExpiresAt], [at, slid, LATER]);
    const events = (await a.audit.page({ first: 10, userId: user.id, type: 'TOKEN_REFRESHED' })).rows;
    assert.deepEqual(events.map((e) => [e.at, e.sessionId, e.detail]), [[at, s.id, null]]);

    // The same token again (a replay, or the loser of a race): nothing is written.
    const again = rotationOf(s, user.id, new Date(at.getTime() + MINUTE), slid);
    assert.equal(await a.sessions.rotate(again), false);
    assert.equal(await a.sessions.findTokenById(again.successor.id), undefined);
    assert.equal((await a.sessions.findTokenById(s.tokenId))!.replacedBy, r.successor.id);
    assert.equal((await a.sessions.findById(s.id))!.lastUsedAt.getTime(), at.getTime());
    assert.equal((await a.audit.page({ first: 10, userId: user.id, type: 'TOKEN_REFRESHED' })).rows.length, 1);
  });

  it('rotate writes the audit detail as given, keys in order', async () => {
    const user = await insertUser(a, NOW);
    const s = await insertSessionWithToken(a, user.id, NOW, LATER);
    const r = rotationOf(s, user.id, NOW, LATER);
    assert.equal(await a.sessions.rotate({ ...r, audit: { ...r.audit, ip: '10.0.0.1', userAgent: 'ua', detail: { zeta: 1, alpha: { b: 2, a: 1 } } } }), true);
    const [event] = (await a.audit.page({ first: 1, userId: user.id, type: 'TOKEN_REFRESHED' })).rows;
    assert.deepEqual([event!.ip, event!.userAgent], ['10.0.0.1', 'ua']);
    assert.equal(JSON.stringify(event!.detail), '{"zeta":1,"alpha":{"b":2,"a":1}}');
  });

  it('two instances rotating one token at once: exactly one true, one successor', async () => {
    const user = await insertUser(a, NOW);
    for (let round = 0; round < 20; round++) {
      const s = await insertSessionWithToken(a, user.id, NOW, LATER);
      const ra = rotationOf(s, user.id, NOW, LATER);
      const rb = rotationOf(s, user.id, NOW, LATER);
      const results = await Promise.all([a.sessions.rotate(ra), b.sessions.rotate(rb)]);
      assert.deepEqual([...results].sort(), [false, true], `round ${round}`);
      const [row] = await sqlOn<{ n: number }>(database.url, 'SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [s.id]);
      assert.equal(row!.n, 2, `round ${round}: the token and one successor`);
      const winner = results[0] ? ra : rb;
      assert.equal((await b.sessions.findTokenById(s.tokenId))!.replacedBy, winner.successor.id);
    }
  });

  it('a rotation is visible to another instance as soon as it resolves', async () => {
    const user = await insertUser(a, NOW);
    const s = await insertSessionWithToken(a, user.id, NOW, LATER);
    const r = rotationOf(s, user.id, NOW, LATER);
    assert.equal(await a.sessions.rotate(r), true);
    assert.equal((await b.sessions.findRefreshState(r.successor.tokenHash))?.token.id, r.successor.id);
    assert.equal((await b.sessions.findRefreshState(s.tokenHash))?.token.replacedBy, r.successor.id);
  });

  it('a rotation that fails (its successor hash is taken) writes nothing and rejects alone; the others commit', async () => {
    const user = await insertUser(a, NOW);
    const taken = await insertSessionWithToken(a, user.id, NOW, LATER);
    const s1 = await insertSessionWithToken(a, user.id, NOW, LATER);
    const s2 = await insertSessionWithToken(a, user.id, NOW, LATER);
    const s3 = await insertSessionWithToken(a, user.id, NOW, LATER);
    const failing = rotationOf(s2, user.id, NOW, LATER);
    failing.successor.tokenHash = taken.tokenHash;
    const outcomes = await Promise.allSettled([
      a.sessions.rotate(rotationOf(s1, user.id, NOW, LATER)),
      a.sessions.rotate(failing),
      a.sessions.rotate(rotationOf(s3, user.id, NOW, LATER)),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    const reason = (outcomes[1] as PromiseRejectedResult).reason as Error;
    assert.equal((reason as { code?: string }).code, '23505');
    assert.doesNotMatch(reason.message, /refresh_tokens\s*\(|WITH marked|\$1/);
    assert.equal((await a.sessions.findTokenById(s2.tokenId))!.rotatedAt, null);
    assert.notEqual((await a.sessions.findTokenById(s1.tokenId))!.rotatedAt, null);
    assert.notEqual((await a.sessions.findTokenById(s3.tokenId))!.rotatedAt, null);
    // The token of the failed rotation can still be rotated.
    assert.equal(await a.sessions.rotate(rotationOf(s2, user.id, NOW, LATER)), true);
  });

  it('a rotation whose audit detail JSON cannot encode throws TypeError and changes nothing', async () => {
    const user = await insertUser(a, NOW);
    const s = await insertSessionWithToken(a, user.id, NOW, LATER);
    const r = rotationOf(s, user.id, NOW, LATER);
    await assert.rejects(a.sessions.rotate({ ...r, audit: { ...r.audit, detail: { poison: 1n } as unknown as Record<string, unknown> } }), TypeError);
    assert.equal((await a.sessions.findTokenById(s.tokenId))!.rotatedAt, null);
  });

  it('revoke ends a live session once; its audit event is written either way', async () => {
    const user = await insertUser(a, NOW);
    const s = await insertSession(a, user.id, NOW, LATER);
    assert.equal(await a.sessions.revoke(s, 'LOGOUT', NOW, { type: 'LOGOUT', userId: user.id, sessionId: s }), true);
    assert.equal(await a.sessions.revoke(s, 'LOGOUT', LATER, { type: 'LOGOUT', userId: user.id, sessionId: s }), false);
    assert.equal(await a.sessions.revoke('unknown', 'LOGOUT', NOW, null), false);
    const session = (await a.sessions.findById(s))!;
    assert.deepEqual([session.revokedAt, session.revokedReason], [NOW, 'LOGOUT']);
    assert.equal((await a.audit.page({ first: 10, userId: user.id, type: 'LOGOUT' })).rows.length, 2);
  });

  it('revokeAllForUser ends every live session but the one kept, and records how many', async () => {
    const user = await insertUser(a, NOW);
    const kept = await insertSession(a, user.id, NOW, LATER);
    const others = [await insertSession(a, user.id, NOW, LATER), await insertSession(a, user.id, NOW, LATER)];
    await a.sessions.revoke(others[0]!, 'LOGOUT', NOW, null);
    const bystander = await insertUser(a, NOW);
    const bystanderSession = await insertSession(a, bystander.id, NOW, LATER);
    const ended = await a.sessions.revokeAllForUser(user.id, 'LOGOUT_ALL', NOW, { exceptSessionId: kept, audit: { type: 'LOGOUT_ALL', userId: user.id } });
    assert.equal(ended, 1);
    assert.deepEqual((await a.sessions.listLiveForUser(user.id, NOW)).map((s) => s.id), [kept]);
    assert.equal((await a.sessions.findById(bystanderSession))!.revokedAt, null);
    const [event] = (await a.audit.page({ first: 1, userId: user.id, type: 'LOGOUT_ALL' })).rows;
    assert.deepEqual(event!.detail, { sessionsEnded: 1 });
    assert.equal(await a.sessions.revokeAllForUser(user.id, 'LOGOUT_ALL', NOW, {}), 1);
    assert.deepEqual(await a.sessions.listLiveForUser(user.id, NOW), []);
  });

  it('listLiveForUser: not ended, not expired, oldest first', async () => {
    const user = await insertUser(a, NOW);
    const older = await insertSession(a, user.id, NOW, LATER);
    const newer = await insertSession(a, user.id, new Date(NOW.getTime() + MINUTE), LATER);
    await insertSession(a, user.id, NOW, new Date(NOW.getTime() + HOUR));
    const ended = await insertSession(a, user.id, NOW, LATER);
    await a.sessions.revoke(ended, 'LOGOUT', NOW, null);
    assert.deepEqual((await a.sessions.listLiveForUser(user.id, new Date(NOW.getTime() + 2 * HOUR))).map((s) => s.id), [older, newer]);
  });

  it('findViewerState reads the session with its user, and a local revoke, disable or role change is seen at once', async () => {
    const user = await insertUser(a, NOW);
    const s = await insertSession(a, user.id, NOW, LATER);
    const now = NOW.getTime();
    const state = await a.sessions.findViewerState(s, now);
    assert.deepEqual(state, {
      sessionId: s,
      userId: user.id,
      role: 'USER',
      revokedAt: null,
      expiresAt: LATER,
      disabledAt: null,
      user: { id: user.id, email: user.email, displayName: 'someone', role: 'USER', disabledAt: null, createdAt: NOW },
    });
    const reads = a.diagnostics().viewerStateReads;
    await a.sessions.findViewerState(s, now);
    assert.equal(a.diagnostics().viewerStateReads, reads, 'served from memory while nothing changed');
    await a.users.setRole(user.id, { role: 'ADMIN', at: NOW, audit: { type: 'ROLE_CHANGED' } });
    assert.equal((await a.sessions.findViewerState(s, now))?.role, 'ADMIN');
    await a.sessions.revoke(s, 'LOGOUT', NOW, null);
    assert.deepEqual((await a.sessions.findViewerState(s, now))?.revokedAt, NOW);
    assert.equal(await a.sessions.findViewerState('unknown', now), undefined);
  });
});

onlyOn('postgres')('PostgreSQL pruneExpired (as test/sessions/prune.test.ts)', () => {
  const database = useTestDatabase();
  const opener = storageOpener();
  let storage: PostgresStorage;
  let clock: ManualClock;
  before(async () => {
    storage = await opener.open(database.url);
  });
  after(() => opener.closeAll());
  afterEach(async () => {
    await sqlOn(database.url, 'TRUNCATE users, sessions, refresh_tokens, audit_events');
  });

  const prune = () => pruneExpired({ sessions: storage.sessions, audit: storage.audit, clock, auditRetentionMs: 90 * DAY });

  it('deletes expired and ended sessions with their refresh tokens, and keeps live ones', async () => {
    clock = new ManualClock();
    const now = new Date(clock.now());
    const user = await insertUser(storage, now);
    const live = await insertSession(storage, user.id, now, new Date(clock.now() + DAY));
    const expiring = await insertSession(storage, user.id, now, new Date(clock.now() + HOUR));
    const ended = await insertSession(storage, user.id, now, new Date(clock.now() + DAY));
    await storage.sessions.revoke(ended, 'LOGOUT', now, null);
    clock.advance(2 * HOUR);

    const result = await prune();
    assert.deepEqual({ sessions: result.sessions, refreshTokens: result.refreshTokens }, { sessions: 2, refreshTokens: 2 });
    assert.ok(await storage.sessions.findById(live));
    assert.equal(await storage.sessions.findById(expiring), undefined);
    assert.equal(await storage.sessions.findById(ended), undefined);
  });

  it("deletes a rotated token once it expires but keeps its live session and the session's current token", async () => {
    clock = new ManualClock();
    const now = new Date(clock.now());
    const user = await insertUser(storage, now);
    const s = await insertSessionWithToken(storage, user.id, now, new Date(clock.now() + DAY));
    const successor = rotationOf(s, user.id, now, new Date(clock.now() + 3 * DAY));
    successor.successor.expiresAt = new Date(clock.now() + 3 * DAY);
    await storage.sessions.rotate(successor);
    // The first token's own expiry: one day.
    clock.advance(DAY + HOUR);
    const result = await prune();
    assert.deepEqual({ sessions: result.sessions, refreshTokens: result.refreshTokens }, { sessions: 0, refreshTokens: 1 });
    assert.equal(await storage.sessions.findTokenById(s.tokenId), undefined);
    assert.ok(await storage.sessions.findTokenById(successor.successor.id));
  });

  it('deletes audit events older than the retention and keeps newer ones', async () => {
    clock = new ManualClock();
    await storage.audit.record(new Date(clock.now()), { type: 'LOGIN_FAILED', detail: { n: 'old' } });
    clock.advance(10 * DAY);
    await storage.audit.record(new Date(clock.now()), { type: 'LOGIN_FAILED', detail: { n: 'recent' } });
    clock.advance(85 * DAY);

    const result = await prune();
    assert.equal(result.auditEvents, 1);
    const left = await storage.audit.page({ first: 10 });
    assert.deepEqual(left.rows.map((r) => r.detail), [{ n: 'recent' }]);
  });

  it('a second run right after the first finds nothing to delete', async () => {
    clock = new ManualClock();
    const now = new Date(clock.now());
    const user = await insertUser(storage, now);
    await insertSession(storage, user.id, now, new Date(clock.now() + HOUR));
    clock.advance(100 * DAY);
    const first = await prune();
    assert.ok(first.sessions > 0 && first.auditEvents > 0);
    assert.deepEqual(await prune(), { sessions: 0, refreshTokens: 0, auditEvents: 0 });
  });

  it('two instances pruning at once delete each row once between them', async () => {
    clock = new ManualClock();
    const other = await opener.open(database.url);
    const now = new Date(clock.now());
    const user = await insertUser(storage, now);
    for (let i = 0; i < 20; i++) await insertSession(storage, user.id, now, new Date(clock.now() + HOUR));
    clock.advance(2 * HOUR);
    const cutoff = new Date(clock.now());
    const [x, y] = await Promise.all([storage.sessions.pruneExpired(cutoff), other.sessions.pruneExpired(cutoff)]);
    assert.deepEqual({ sessions: x.sessions + y.sessions, refreshTokens: x.refreshTokens + y.refreshTokens }, { sessions: 20, refreshTokens: 20 });
  });
});
