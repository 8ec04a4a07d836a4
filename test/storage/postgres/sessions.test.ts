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

});

onlyOn('postgres')('PostgreSQL pruneExpired between two instances', () => {
  const database = useTestDatabase();
  const opener = storageOpener();
  let storage: PostgresStorage;
  let clock: ManualClock;
  before(async () => {
    storage = await opener.open(database.url);
  });
  after(() => opener.closeAll());
  afterEach(async () => {
    await sqlOn(database.url, 'TRUNCATE users, sessions, refresh_tokens, api_tokens, audit_events, device_authorizations, one_time_tokens, identities, oauth_states');
  });

  const prune = () => pruneExpired({ sessions: storage.sessions, audit: storage.audit, clock, auditRetentionMs: 90 * DAY });

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
