import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, type TestContext } from 'node:test';
import { createAttemptLimiter, createFailureLimiter, LimitExceeded } from '../../src/abuse/attempt-limiter';
import { loadConfig } from '../../src/config';
import { openStorage, type Storage } from '../../src/storage/storage';
import { createSharedTestDatabase } from '../support/shared-database';
import { openTestStorage } from '../support/storage';

import { refusal, takeTimes } from '../support/attempt-limiter';

const MINUTE = 60_000;

/**
 * rate-limiter-flexible reads Date.now() itself, so these tests move Date with the test
 * runner's mock timers instead of sleeping.
 */
describe("#26 attempt limiter on the storage's counters", () => {
  let storage: Storage;
  beforeEach(async () => {
    storage = await openTestStorage();
  });
  afterEach(() => storage.close());

  it('#26 login blocks grow: one window, then twice as long each time, up to the maximum', async (t: TestContext) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 1) });
    const limiter = createAttemptLimiter(storage.limiterStore, { name: 'LOGIN_TEST', points: 2, windowMs: 15 * MINUTE, maxBlockMs: 60 * MINUTE });
    const seen: number[] = [];
    for (let block = 0; block < 4; block++) {
      await takeTimes(limiter, 'k', 2);
      const first = await refusal(limiter, 'k');
      assert.equal(first.blockStarted, true);
      seen.push(first.retryAfterMs);
      const during = await refusal(limiter, 'k');
      assert.equal(during.blockStarted, false, 'one block is started (and audited) once');
      t.mock.timers.tick(first.retryAfterMs - 1000);
      await refusal(limiter, 'k');
      t.mock.timers.tick(1001);
    }
    assert.deepEqual(seen, [15 * MINUTE, 30 * MINUTE, 60 * MINUTE, 60 * MINUTE]);
  });

  it('#26 reset forgets failures and strikes: the next block is one window again', async (t: TestContext) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 1) });
    const limiter = createAttemptLimiter(storage.limiterStore, { name: 'LOGIN_TEST', points: 1, windowMs: MINUTE, maxBlockMs: 10 * MINUTE });
    await limiter.take('k');
    assert.equal((await refusal(limiter, 'k')).retryAfterMs, MINUTE);
    t.mock.timers.tick(MINUTE + 1);
    await limiter.reset('k');
    await limiter.take('k');
    assert.equal((await refusal(limiter, 'k')).retryAfterMs, MINUTE);
  });

  it('#26 without back-off a block lasts until the window ends, and the next window starts afresh', async (t: TestContext) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 1) });
    const limiter = createAttemptLimiter(storage.limiterStore, { name: 'SIGNUP_TEST', points: 2, windowMs: 10 * MINUTE });
    await limiter.take('ip');
    t.mock.timers.tick(4 * MINUTE);
    await limiter.take('ip');
    assert.equal((await refusal(limiter, 'ip')).retryAfterMs, 6 * MINUTE);
    t.mock.timers.tick(6 * MINUTE + 1);
    await takeTimes(limiter, 'ip', 2);
  });

  it('#26 a refund gives one attempt back; keys and limiters do not share counts', async () => {
    const store = storage.limiterStore;
    const a = createAttemptLimiter(store, { name: 'A', points: 1, windowMs: MINUTE });
    const b = createAttemptLimiter(store, { name: 'B', points: 1, windowMs: MINUTE });
    await a.take('k');
    await a.refund('k');
    await a.take('k');
    await refusal(a, 'k');
    await a.take('other');
    await b.take('k');
  });

  it('#26 failures recorded after the fact: the one that reaches the limit starts the block, check() refuses until the window ends', async (t: TestContext) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 1) });
    const limiter = createFailureLimiter(storage.limiterStore, { name: 'REFRESH_TEST', points: 2, windowMs: MINUTE });
    await limiter.check('ip');
    assert.equal(await limiter.fail('ip'), null);
    await limiter.check('ip');
    const block = await limiter.fail('ip');
    assert.ok(block?.blockStarted);
    assert.equal(block.retryAfterMs, MINUTE);
    t.mock.timers.tick(10_000);
    await assert.rejects(limiter.check('ip'), (error: unknown) => error instanceof LimitExceeded && !error.blockStarted && error.retryAfterMs === 50_000);
    assert.equal(await limiter.fail('ip'), null, 'a later failure starts no second block');
    t.mock.timers.tick(50_001);
    await limiter.check('ip');
  });

  it('#26 failure blocks grow with maxBlockMs (device user codes): one window, then twice as long, up to the maximum; check() refuses until each ends', async (t: TestContext) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 1) });
    const limiter = createFailureLimiter(storage.limiterStore, { name: 'USER_CODE_TEST', points: 2, windowMs: 15 * MINUTE, maxBlockMs: 60 * MINUTE });
    const seen: number[] = [];
    for (let round = 0; round < 4; round++) {
      await limiter.check('k');
      assert.equal(await limiter.fail('k'), null);
      const block = await limiter.fail('k');
      assert.ok(block?.blockStarted);
      seen.push(block.retryAfterMs);
      assert.equal(await limiter.fail('k'), null, 'a failure during the block starts no second one');
      t.mock.timers.tick(block.retryAfterMs - 1000);
      await assert.rejects(limiter.check('k'), (error: unknown) => error instanceof LimitExceeded && error.retryAfterMs === 1000);
      t.mock.timers.tick(1001);
    }
    assert.deepEqual(seen, [15 * MINUTE, 30 * MINUTE, 60 * MINUTE, 60 * MINUTE]);
  });

  it('counters survive a restart (storage opened again on the same database), and expired ones are cleared', async (t: TestContext) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 1) });
    const database = await createSharedTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
    try {
      const before = await openStorage(config);
      await createAttemptLimiter(before.limiterStore, { name: 'A', points: 1, windowMs: MINUTE }).take('k');
      await before.close();
      const after = await openStorage(config);
      try {
        const counter = createAttemptLimiter(after.limiterStore, { name: 'A', points: 1, windowMs: MINUTE });
        await refusal(counter, 'k');
        t.mock.timers.tick(2 * MINUTE);
        // The one counter ever written is the one cleared; none is left.
        assert.equal(await after.limiterStore.clearExpired(), 1);
        assert.equal(await after.limiterStore.clearExpired(), 0);
        await counter.take('k');
      } finally {
        await after.close();
      }
    } finally {
      await database.remove();
    }
  });
});
