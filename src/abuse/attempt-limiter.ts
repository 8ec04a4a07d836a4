import { RateLimiterRes } from 'rate-limiter-flexible';
import type { LimiterStore } from '../storage/rate-limits';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface AttemptLimiterOptions {
  /** Key space, also the name audit events give this limit (e.g. LOGIN_ACCOUNT). */
  name: string;
  /** Attempts allowed per window; the next one is refused. */
  points: number;
  windowMs: number;
  /**
   * Growing back-off: the first block lasts one window, each further block within a day twice
   * the previous one, up to this. Without it, a block lasts until the window ends.
   */
  maxBlockMs?: number;
}

/** An attempt over the limit. `blockStarted` is true for the one attempt that caused the block. */
export class LimitExceeded extends Error {
  constructor(
    readonly limiter: string,
    readonly retryAfterMs: number,
    readonly blockStarted: boolean,
  ) {
    super(`${limiter}: limit exceeded`);
    this.name = 'LimitExceeded';
  }
}

export interface AttemptLimiter {
  readonly name: string;
  /** Counts one attempt before it is made (so concurrent attempts cannot all slip through); throws LimitExceeded over the limit. */
  take(key: string): Promise<void>;
  /**
   * For cheap attempts where only failures count: one read, nothing written. Throws
   * LimitExceeded once `points` failures are recorded (no back-off: the window's end). Attempts
   * in flight together may each fail once past the limit: acceptable where no secret is guessed.
   */
  check(key: string): Promise<void>;
  /** Records a failure after the fact; returns the block it started, if it reached the limit. */
  fail(key: string): Promise<LimitExceeded | null>;
  /** Gives back the point of an attempt that turned out not to count (it checked nothing). */
  refund(key: string): Promise<void>;
  /** Forgets the failures and strikes of a key: its owner just proved who they are. */
  reset(key: string): Promise<void>;
}

export function createAttemptLimiter(store: LimiterStore, options: AttemptLimiterOptions): AttemptLimiter {
  const { name, points, windowMs, maxBlockMs } = options;
  const counter = store.counter({ name, points, durationMs: windowMs });
  const strikeMemoryMs = maxBlockMs === undefined ? 0 : Math.max(DAY_MS, 2 * maxBlockMs);
  const strikes = maxBlockMs === undefined ? null : store.counter({ name: `${name}_STRIKES`, points: Number.MAX_SAFE_INTEGER, durationMs: strikeMemoryMs });

  /** Starts the block; returns how long it lasts. */
  async function block(key: string, remainingWindowMs: number): Promise<number> {
    if (!strikes || maxBlockMs === undefined) return remainingWindowMs;
    const strike = (await strikes.penalty(key, 1)).consumedPoints;
    const blockMs = Math.min(windowMs * 2 ** Math.min(strike - 1, 30), Math.max(maxBlockMs, windowMs));
    await counter.block(key, blockMs / 1000);
    return blockMs;
  }

  return {
    name,
    async take(key) {
      try {
        await counter.consume(key, 1);
      } catch (rejection) {
        // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, with an Error when the store fails.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // Points grow by one per attempt, so exactly one attempt sees points + 1: the block is started (and audited) once.
        if (rejection.consumedPoints === points + 1) throw new LimitExceeded(name, await block(key, rejection.msBeforeNext), true);
        throw new LimitExceeded(name, rejection.msBeforeNext, false);
      }
    },
    async check(key) {
      const state = await counter.get(key);
      if (state && state.consumedPoints >= points) throw new LimitExceeded(name, state.msBeforeNext, false);
    },
    async fail(key) {
      try {
        const state = await counter.consume(key, 1);
        return state.consumedPoints === points ? new LimitExceeded(name, state.msBeforeNext, true) : null;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return null;
      }
    },
    async refund(key) {
      await counter.reward(key, 1);
    },
    async reset(key) {
      await counter.delete(key);
      if (strikes) await strikes.delete(key);
    },
  };
}
