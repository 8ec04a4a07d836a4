import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import { createFailureLimiter, LimitExceeded, type FailureLimiter } from '../../../src/abuse/attempt-limiter';
import type { PostgresStorage } from '../../../src/storage/postgres/storage';
import { eventually, sqlOn, storageOpener, useTestDatabase } from '../../support/postgres';
import { onlyOn } from '../../support/dialect';

const MINUTE = 60_000;
const POINTS = 3;

/**
 * Failure limiters (the refresh, device user code and social login limits) on two instances:
 * a check reads the shared table only for a key it has not read clear since its LISTEN
 * subscription began; blocks reach every instance as announcements (NOTIFY).
 */
// The PostgreSQL adapter's own tests: registered on the PostgreSQL pass only
// (test/support/dialect.ts); SQLite has no announcements (its check is a read in the process).
onlyOn('postgres')('failure limits across instances on PostgreSQL (announced blocks)', () => {
  const database = useTestDatabase();
  const opener = storageOpener();
  let a: PostgresStorage;
  let b: PostgresStorage;
  let onA: FailureLimiter;
  let onB: FailureLimiter;
  before(async () => {
    a = await opener.open(database.url, { applicationName: 'A' });
    // A slow first reconnection, so that the test sees B without its LISTEN connection.
    b = await opener.open(database.url, { applicationName: 'B', listener: { minRetryMs: 1_500, heartbeatMs: 60_000 } });
    onA = createFailureLimiter(a.limiterStore, { name: 'REFRESH_IP', points: POINTS, windowMs: MINUTE });
    onB = createFailureLimiter(b.limiterStore, { name: 'REFRESH_IP', points: POINTS, windowMs: MINUTE });
  });
  after(() => opener.closeAll());
  afterEach(async () => {
    await eventually(() => b.diagnostics().listening, 10_000, "B's LISTEN connection back");
  });

  const refused = async (limiter: FailureLimiter, key: string) => {
    try {
      await limiter.check(key);
      return false;
    } catch (error) {
      assert.ok(error instanceof LimitExceeded, `expected LimitExceeded, got ${String(error)}`);
      return true;
    }
  };
  /** A block written behind every instance's back: plain SQL, no announcement (as if its announcer died right after the write). */
  const blockSilently = (key: string) =>
    sqlOn(database.url, 'INSERT INTO rate_limits (key, points, expire) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET points = $2, expire = $3', [
      `REFRESH_IP:${key}`,
      POINTS,
      Date.now() + MINUTE,
    ]);
  const failTimes = async (limiter: FailureLimiter, key: string, times: number) => {
    for (let i = 0; i < times; i++) await limiter.fail(key);
  };

  it('a key read clear is checked again from memory, without a read', async () => {
    const reads = b.diagnostics().limitChecksRead;
    await onB.check('10.0.0.1');
    await onB.check('10.0.0.1');
    await onB.check('10.0.0.1');
    assert.equal(b.diagnostics().limitChecksRead, reads + 1);
  });

  it('failures spread over two instances add up, and the block reached on A is refused by B within 1 s without a read', async () => {
    const key = '10.0.0.2';
    assert.equal(await refused(onB, key), false);
    const reads = b.diagnostics().limitChecksRead;
    await failTimes(onA, key, 1);
    await failTimes(onB, key, 1);
    assert.equal(await refused(onB, key), false, 'two failures of three');
    assert.ok((await onA.fail(key))?.blockStarted, 'the third failure, on A, starts the block');
    assert.ok((await eventually(() => refused(onB, key), 1_000, 'B refuses the key')) < 1_000);
    assert.equal(await refused(onA, key), true, 'A knew at once');
    assert.equal(b.diagnostics().limitChecksRead, reads, 'B learnt it from the announcement');
  });

  it('a block whose announcement was lost is announced again by the next failure, on any instance', async () => {
    const key = '10.0.0.3';
    assert.equal(await refused(onB, key), false);
    await blockSilently(key);
    // The memory at work: nobody told B, and B does not read a key it read clear.
    assert.equal(await refused(onB, key), false);
    assert.equal(await onA.fail(key), null, 'past the limit: no new block starts');
    await eventually(() => refused(onB, key), 1_000, 'B refuses the key');
  });

  it('without its LISTEN connection B fails closed (every check reads the table), and recovers', async () => {
    const key = '10.0.0.4';
    assert.equal(await refused(onB, key), false);
    const killed = await sqlOn<{ ok: boolean }>(
      database.url,
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'B/%:listen'`,
    );
    assert.deepEqual(killed, [{ ok: true }]);
    await eventually(() => !b.diagnostics().listening, 2_000, 'B notices its LISTEN connection is gone');

    await blockSilently(key);
    assert.equal(await refused(onB, key), true, 'read from the table: nothing remembered as clear is trusted');
    const reads = b.diagnostics().limitChecksRead;
    for (let i = 0; i < 3; i++) await onB.check('10.0.0.5');
    assert.equal(b.diagnostics().limitChecksRead, reads + 3, 'nothing is remembered as clear while no one listens');
    assert.equal(b.diagnostics().listening, false, 'still within the reconnection delay');

    await eventually(() => b.diagnostics().listening, 5_000, 'B listens again');
    await onB.check('10.0.0.5');
    const afterRecovery = b.diagnostics().limitChecksRead;
    await onB.check('10.0.0.5');
    assert.equal(b.diagnostics().limitChecksRead, afterRecovery, 'remembered again once LISTEN is in force');
    await failTimes(onA, '10.0.0.5', POINTS);
    await eventually(() => refused(onB, '10.0.0.5'), 1_000, 'announcements reach B again');
  });

  it('a block ends with its window on every instance', async (t) => {
    const shortA = createFailureLimiter(a.limiterStore, { name: 'SHORT', points: 1, windowMs: 1_000 });
    const shortB = createFailureLimiter(b.limiterStore, { name: 'SHORT', points: 1, windowMs: 1_000 });
    await shortB.check('ip');
    assert.ok((await shortA.fail('ip'))?.blockStarted);
    await eventually(() => refused(shortB, 'ip'), 1_000, 'B refuses the key');
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 1_001 });
    await shortA.check('ip');
    await shortB.check('ip');
  });
});
