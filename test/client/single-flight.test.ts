import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { singleFlight } from '../../src/client/single-flight';
import { deferred } from '../support/deferred';

describe('singleFlight', () => {
  it('callers that arrive while the job runs share its one run and its result', async () => {
    let runs = 0;
    // The job runs until the test lets it finish: every caller below arrives while it runs.
    const finish = deferred();
    const shared = singleFlight(async () => {
      runs += 1;
      await finish.promise;
      return runs;
    });
    const callers = [shared(), shared()];
    await Promise.resolve();
    callers.push(shared());
    assert.equal(runs, 1, 'one run for every caller so far');
    finish.resolve();
    assert.deepEqual(await Promise.all(callers), [1, 1, 1]);
    assert.equal(runs, 1);
  });

  it('a call after the job settled starts a new run, also after a failure', async () => {
    let runs = 0;
    const flaky = singleFlight(async () => {
      runs += 1;
      if (runs === 1) throw new Error('first run fails');
      return runs;
    });
    await assert.rejects(flaky(), /first run fails/);
    assert.equal(await flaky(), 2);
  });
});
