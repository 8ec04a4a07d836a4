import assert from 'node:assert/strict';
import { LimitExceeded, type AttemptLimiter } from '../../src/abuse/attempt-limiter';

/** The LimitExceeded of an attempt that must be refused; fails the test if it is let through. */
export async function refusal(limiter: AttemptLimiter, key: string): Promise<LimitExceeded> {
  try {
    await limiter.take(key);
  } catch (error) {
    assert.ok(error instanceof LimitExceeded, `expected LimitExceeded, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the attempt to be refused');
}

export async function takeTimes(limiter: AttemptLimiter, key: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await limiter.take(key);
}
