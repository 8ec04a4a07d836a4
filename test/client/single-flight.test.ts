import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { singleFlight } from '../../src/client/single-flight';

describe('singleFlight', () => {
  it('callers that arrive while the job runs share its one run and its result', async () => {
    let runs = 0;
    const shared = singleFlight(async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return runs;
    });
    assert.deepEqual(await Promise.all([shared(), shared(), shared()]), [1, 1, 1]);
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
