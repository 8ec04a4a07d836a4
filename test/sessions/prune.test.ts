import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createLogger } from '../../src/logger';
import { pruneExpired, type PruneResult } from '../../src/sessions/prune';
import { startPruneTimer } from '../../src/sessions/prune-timer';
import { startTestApp } from '../support/app';
import { DAY, HOUR, ManualClock } from '../support/clock';
import { call, signup } from '../support/graphql';
import { insertSession, insertUser, openTestStorage, type TestStorage } from '../support/storage';
import { RefreshDocument } from '../../src/client/generated/graphql';

describe('pruneExpired', () => {
  let storage: TestStorage;
  let clock: ManualClock;
  beforeEach(() => {
    storage = openTestStorage();
    clock = new ManualClock();
  });
  afterEach(() => storage.close());

  const prune = () => pruneExpired({ sessions: storage.sessions, audit: storage.audit, clock, auditRetentionMs: 90 * DAY });

  it('deletes expired and ended sessions with their refresh tokens, and keeps live ones', async () => {
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

  it('deletes audit events older than the retention and keeps newer ones', async () => {
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
    const now = new Date(clock.now());
    const user = await insertUser(storage, now);
    await insertSession(storage, user.id, now, new Date(clock.now() + HOUR));
    clock.advance(100 * DAY);
    const first = await prune();
    assert.ok(first.sessions > 0 && first.auditEvents > 0);
    assert.deepEqual(await prune(), { sessions: 0, refreshTokens: 0, auditEvents: 0 });
  });
});

describe('the prune timer', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());

  const logger = createLogger('silent');
  const empty: PruneResult = { sessions: 0, refreshTokens: 0, auditEvents: 0 };

  it('runs once per interval and never after stop()', async () => {
    let runs = 0;
    const timer = startPruneTimer({ intervalMs: HOUR, logger, prune: async () => (runs++, empty) });
    mock.timers.tick(HOUR - 1);
    assert.equal(runs, 0);
    mock.timers.tick(1);
    await timer.stop();
    assert.equal(runs, 1);
    mock.timers.tick(5 * HOUR);
    assert.equal(runs, 1);
  });

  it('does not start a run while the previous one is still going', async () => {
    let runs = 0;
    let finish!: () => void;
    const timer = startPruneTimer({
      intervalMs: HOUR,
      logger,
      prune: () => {
        runs++;
        return new Promise<PruneResult>((resolve) => (finish = () => resolve(empty)));
      },
    });
    mock.timers.tick(3 * HOUR);
    assert.equal(runs, 1);
    const stopped = timer.stop();
    finish();
    await stopped;
  });

  it('a failed run is retried on the next interval', async () => {
    let runs = 0;
    const timer = startPruneTimer({
      intervalMs: HOUR,
      logger,
      prune: async () => {
        runs++;
        if (runs === 1) throw new Error('database is locked');
        return empty;
      },
    });
    mock.timers.tick(HOUR);
    await new Promise((resolve) => setImmediate(resolve));
    mock.timers.tick(HOUR);
    await timer.stop();
    assert.equal(runs, 2);
  });
});

describe('app.prune', () => {
  it("uses the app's clock and AUDIT_RETENTION: an expired session's refresh token is gone afterwards", async () => {
    const t = await startTestApp({ AUDIT_RETENTION: '1d' });
    try {
      const { refreshToken } = await signup(t.url);
      t.clock.advance(15 * DAY);
      const result = await t.app.prune();
      assert.deepEqual({ sessions: result.sessions, refreshTokens: result.refreshTokens }, { sessions: 1, refreshTokens: 1 });
      assert.ok(result.auditEvents >= 2); // SIGNUP and LOGIN_SUCCEEDED are older than a day
      const refreshed = await call(t.url, RefreshDocument, { refreshToken });
      assert.equal(refreshed.errors?.[0]?.extensions?.reason, 'UNKNOWN');
    } finally {
      await t.close();
    }
  });

  it("deletes a rotated token once it expires but keeps its live session and the session's current token", async () => {
    const t = await startTestApp();
    try {
      const first = await signup(t.url);
      t.clock.advance(DAY);
      const rotated = await call(t.url, RefreshDocument, { refreshToken: first.refreshToken });
      t.clock.advance(13 * DAY + HOUR); // the first token expired at 14 days; the session now lasts until day 15
      const result = await t.app.prune();
      assert.deepEqual({ sessions: result.sessions, refreshTokens: result.refreshTokens }, { sessions: 0, refreshTokens: 1 });
      const again = await call(t.url, RefreshDocument, { refreshToken: rotated.data!.refresh.refreshToken });
      assert.equal(again.errors, undefined, JSON.stringify(again.errors));
    } finally {
      await t.close();
    }
  });
});
