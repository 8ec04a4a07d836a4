import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as argon2 from '@node-rs/argon2';
import { createArgon2Hasher, FAST_TEST_ARGON2ID, type Argon2Primitives } from '../../src/accounts/password';

/** The real argon2 calls, counted: how many run at once, and the most that ever did. */
function countingArgon2(): Argon2Primitives & { readonly max: number; readonly calls: number } {
  // Every call in flight finishes on the same shared tick, so several complete in one run of
  // the microtask queue while newcomers are queued in it: the interleaving in which a freed slot
  // can be taken by a newcomer before the waiter it was handed to resumes.
  let tick: Promise<void> | undefined;
  const sharedTick = () => (tick ??= new Promise<void>((resolve) => setTimeout(() => ((tick = undefined), resolve()), Math.floor(Math.random() * 2))));
  let inFlight = 0;
  let max = 0;
  let calls = 0;
  const counted = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    inFlight++;
    calls++;
    max = Math.max(max, inFlight);
    try {
      const result = await call(...args);
      await sharedTick();
      return result;
    } finally {
      inFlight--;
    }
  };
  return {
    hash: counted(argon2.hash),
    verify: counted(argon2.verify),
    get max() {
      return max;
    },
    get calls() {
      return calls;
    },
  };
}

describe('argon2 concurrency limit (ARGON2_CONCURRENCY)', () => {
  for (const limit of [1, 2, 3]) {
    it(`never runs more than ${limit} hash(es) at once, with callers arriving while slots are freed`, async () => {
      const counting = countingArgon2();
      const hasher = createArgon2Hasher(FAST_TEST_ARGON2ID, limit, counting);
      const stored = await hasher.hash('correct horse battery staple');
      const work: Array<Promise<unknown>> = [];
      // Closed-loop callers: each asks again the moment its last call returns, which is when a
      // slot has just been freed and a waiter is about to resume (the window of the old bug).
      for (let worker = 0; worker < 6; worker++) {
        work.push((async () => {
          for (let i = 0; i < 6; i++) await (i % 2 ? hasher.verify(stored, 'wrong password') : hasher.verifyDummy('a guess'));
        })());
      }
      // Newcomers arrive in waves on later turns of the event loop, interleaved with completions.
      for (let wave = 0; wave < 8; wave++) {
        for (let i = 0; i < 4; i++) {
          const kind = (wave + i) % 3;
          work.push(kind === 0 ? hasher.hash(`password-${wave}-${i}`) : kind === 1 ? hasher.verify(stored, 'wrong password') : hasher.verifyDummy('a guess'));
        }
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 2)));
      }
      await Promise.all(work);
      assert.equal(counting.max, limit, `at most ${limit} in flight, and the limit is reached`);
      assert.ok(counting.calls >= 6 * 6 + 8 * 4 + 1, `every call ran (${counting.calls})`);
    });
  }

  it('a failing hash frees its slot: later calls still run', async () => {
    const hasher = createArgon2Hasher(FAST_TEST_ARGON2ID, 1);
    assert.equal(await hasher.verify('not a PHC string', 'password'), false);
    assert.equal(await hasher.verify('not a PHC string', 'password'), false);
    assert.equal(await hasher.verify(await hasher.hash('correct horse battery staple'), 'correct horse battery staple'), true);
  });
});
