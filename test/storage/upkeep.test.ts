import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { methodNames } from '../../src/storage/invalidation';
import type { Storage } from '../../src/storage/storage';
import { pruneStorage } from '../../src/storage/upkeep';
import { ManualClock } from '../support/clock';
import { TEST_DIALECT } from '../support/dialect';
import { openTestStorage } from '../support/storage';

/** A method that deletes what has expired, by the names the repositories use for it. */
const PRUNING = /^(prune|deleteExpired|deleteOlderThan|clearExpired)/;

describe(`storage upkeep (${TEST_DIALECT})`, () => {
  const opened: Storage[] = [];
  after(() => Promise.all(opened.map((storage) => storage.close())));

  it('runs every pruning method of every repository, so a new table with an expiry cannot be left out of the timer and tokens:prune', async () => {
    const storage = await openTestStorage();
    opened.push(storage);
    const called = new Set<string>();
    const expected: string[] = [];
    const spied: Record<string, unknown> = { close: () => storage.close() };
    for (const [name, repository] of Object.entries(storage)) {
      if (repository === null || typeof repository !== 'object') continue;
      const wrapped: Record<string, unknown> = {};
      for (const method of methodNames(repository)) {
        const original = (repository as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(repository);
        if (PRUNING.test(method)) expected.push(`${name}.${method}`);
        wrapped[method] = (...args: unknown[]) => {
          called.add(`${name}.${method}`);
          return original(...args);
        };
      }
      spied[name] = wrapped;
    }
    const spiedStorage = spied as unknown as Storage;
    const result = await pruneStorage({ storage: spiedStorage, limiterStore: spiedStorage.limiterStore, clock: new ManualClock(), auditRetentionMs: 90 * 24 * 3600_000 });
    assert.deepEqual(expected.filter((method) => !called.has(method)).sort(), [], 'add these to src/storage/upkeep.ts');
    assert.ok(expected.length >= 7, `found the pruning methods: ${expected.join(', ')}`);
    assert.deepEqual(Object.values(result).filter((value) => typeof value !== 'number'), []);
  });
});
