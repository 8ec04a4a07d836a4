import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createLogger } from '../../src/logger';
import type { PruneResult } from '../../src/sessions/prune';
import { startPruneTimer } from '../../src/sessions/prune-timer';
import { startTestApp } from '../support/app';
import { DAY, HOUR } from '../support/clock';
import { call, signup } from '../support/graphql';
import { RefreshDocument } from '../../src/client/generated/graphql';

// pruneExpired over the repositories is part of the repository contract (test/storage/repository-contract.ts).

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
