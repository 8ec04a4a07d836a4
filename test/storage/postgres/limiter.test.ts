import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import { createAttemptLimiter, LimitExceeded } from '../../../src/abuse/attempt-limiter';
import type { PostgresStorage } from '../../../src/storage/postgres/storage';
import { sqlOn, storageOpener, useTestDatabase } from '../../support/postgres';
import { onlyOn } from '../../support/dialect';
import { refusal, takeTimes } from '../../support/attempt-limiter';

const MINUTE = 60_000;

/**
 * test/security/attempt-limiter.test.ts on the PostgreSQL store. rate-limiter-flexible reads
 * Date.now() itself, so these tests move Date with the test runner's mock timers.
 */
// The PostgreSQL adapter's own tests: registered on the PostgreSQL pass only
// (test/support/dialect.ts), where the rest of the suite runs on PostgreSQL too; the SQLite
// pass would run them unchanged a second time.
onlyOn('postgres')('attempt limiter on PostgreSQL', () => {
  const database = useTestDatabase();
  const opener = storageOpener();
  let a: PostgresStorage;
  let b: PostgresStorage;
  before(async () => {
    a = await opener.open(database.url, { applicationName: 'A' });
    b = await opener.open(database.url, { applicationName: 'B' });
  });
  after(() => opener.closeAll());
  afterEach(() => sqlOn(database.url, 'TRUNCATE rate_limits'));

  it('two instances count the same attempts: a guesser gets no fresh budget on another instance', async () => {
    const onA = createAttemptLimiter(a.limiterStore, { name: 'LOGIN_ACCOUNT', points: 3, windowMs: MINUTE });
    const onB = createAttemptLimiter(b.limiterStore, { name: 'LOGIN_ACCOUNT', points: 3, windowMs: MINUTE });
    await onA.take('someone@example.com');
    await onB.take('someone@example.com');
    await onA.take('someone@example.com');
    assert.equal((await refusal(onB, 'someone@example.com')).blockStarted, true);
  });

  it('concurrent attempts on two instances cannot all slip through: exactly `points` pass', async () => {
    const onA = createAttemptLimiter(a.limiterStore, { name: 'LOGIN_RACE', points: 5, windowMs: MINUTE });
    const onB = createAttemptLimiter(b.limiterStore, { name: 'LOGIN_RACE', points: 5, windowMs: MINUTE });
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => (i % 2 ? onA : onB).take('k')));
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 5);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as LimitExceeded);
    assert.ok(refused.every((e) => e instanceof LimitExceeded));
    assert.equal(refused.filter((e) => e.blockStarted).length, 1, 'the block is started once');
  });

  it('a key longer than 255 characters is counted (SQLite TEXT does not bound it either)', async () => {
    const limiter = createAttemptLimiter(a.limiterStore, { name: 'LOGIN_ACCOUNT', points: 1, windowMs: MINUTE });
    const long = `${'x'.repeat(300)}@example.com`;
    await limiter.take(long);
    await refusal(limiter, long);
  });
});
