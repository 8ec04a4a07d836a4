import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
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
  /** Gives back the point of an attempt that turned out not to count (it checked nothing). */
  refund(key: string): Promise<void>;
  /** Forgets the failures and strikes of a key: its owner just proved who they are. */
  reset(key: string): Promise<void>;
}

/**
 * For cheap attempts where only failures count. Its count only grows within a window (no
 * refund, no reset): what lets a store tell every instance of a block once, instead of every
 * check reading the count (src/storage/limit-block-board.ts).
 */
export interface FailureLimiter {
  readonly name: string;
  /**
   * Throws LimitExceeded once `points` failures are recorded (no back-off: the window's end).
   * One read, nothing written, or no read where the store knows the key. Attempts in flight
   * together may each fail once past the limit: acceptable where no secret is guessed.
   */
  check(key: string): Promise<void>;
  /** Records a failure after the fact; returns the block it started, if it reached the limit. */
  fail(key: string): Promise<LimitExceeded | null>;
}

interface Blocks {
  /** Starts a key's block; returns how long it lasts. */
  start(key: string, remainingWindowMs: number): Promise<number>;
  /** Forgets the key's earlier blocks. */
  forget(key: string): Promise<void>;
}

/**
 * Without `maxBlockMs` a block lasts the rest of the window. With it, the first block lasts one
 * window and each further one within a day twice the previous, up to maxBlockMs: the strikes
 * are counted in their own key space.
 */
function blocksOf(store: LimiterStore, counter: RateLimiterAbstract, options: AttemptLimiterOptions): Blocks {
  const { name, windowMs, maxBlockMs } = options;
  if (maxBlockMs === undefined) return { start: async (_key, remainingWindowMs) => remainingWindowMs, forget: async () => {} };
  const strikes = store.counter({ name: `${name}_STRIKES`, points: Number.MAX_SAFE_INTEGER, durationMs: Math.max(DAY_MS, 2 * maxBlockMs) });
  return {
    async start(key) {
      const strike = (await strikes.penalty(key, 1)).consumedPoints;
      const blockMs = Math.min(windowMs * 2 ** Math.min(strike - 1, 30), Math.max(maxBlockMs, windowMs));
      await counter.block(key, blockMs / 1000);
      return blockMs;
    },
    async forget(key) {
      await strikes.delete(key);
    },
  };
}

export function createAttemptLimiter(store: LimiterStore, options: AttemptLimiterOptions): AttemptLimiter {
  const { name, points, windowMs } = options;
  const counter = store.counter({ name, points, durationMs: windowMs });
  const blocks = blocksOf(store, counter, options);

  return {
    name,
    async take(key) {
      try {
        await counter.consume(key, 1);
      } catch (rejection) {
        // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, with an Error when the store fails.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // Points grow by one per attempt, so exactly one attempt sees points + 1: the block is started (and audited) once.
        if (rejection.consumedPoints === points + 1) throw new LimitExceeded(name, await blocks.start(key, rejection.msBeforeNext), true);
        throw new LimitExceeded(name, rejection.msBeforeNext, false);
      }
    },
    async refund(key) {
      await counter.reward(key, 1);
    },
    async reset(key) {
      await counter.delete(key);
      await blocks.forget(key);
    },
  };
}

export function createFailureLimiter(store: LimiterStore, options: AttemptLimiterOptions): FailureLimiter {
  const { name, points, windowMs } = options;
  const counter = store.counter({ name, points, durationMs: windowMs });
  const blocks = blocksOf(store, counter, options);
  const board = store.blockBoard;

  return {
    name,
    async check(key) {
      const now = Date.now();
      const known = board?.lookup(name, key, now);
      if (known?.kind === 'clear') return;
      if (known?.kind === 'blocked') throw new LimitExceeded(name, known.untilMs - now, false);
      const state = await counter.get(key);
      const blocked = state !== null && state.consumedPoints >= points;
      known?.learned(blocked ? Date.now() + state.msBeforeNext : 0);
      if (blocked) throw new LimitExceeded(name, state.msBeforeNext, false);
    },
    async fail(key) {
      let state: RateLimiterRes;
      try {
        state = await counter.consume(key, 1);
      } catch (rejection) {
        // rate-limiter-flexible rejects with a RateLimiterRes past the limit, with an Error when the store fails.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        state = rejection;
      }
      // Points grow by one per failure, so exactly one failure reaches `points`: it starts the block.
      const started = state.consumedPoints === points ? new LimitExceeded(name, await blocks.start(key, state.msBeforeNext), true) : null;
      // Every failure at or past the limit is announced, not only the first: one whose
      // announcement was lost (its instance died just after the write) is mended by the next.
      if (state.consumedPoints >= points) await board?.announce(name, key, Date.now() + (started?.retryAfterMs ?? state.msBeforeNext));
      return started;
    },
  };
}
