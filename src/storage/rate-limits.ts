import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { BlockBoard } from './limit-block-board';

/** One key space of counters: `points` attempts per `durationMs`. */
export interface CounterSpec {
  /** Prefix of every key, so counters sharing a table never see each other's keys. */
  name: string;
  points: number;
  durationMs: number;
}

/**
 * Where rate-limit counters live. Only the adapters know the backend: each keeps them in its
 * own database, so a restart does not hand an attacker a fresh set of guesses (OWASP ASVS
 * 6.3.1: anti-automation must hold across restarts), and instances sharing the database share
 * the counters. rate-limiter-flexible reads Date.now() itself: windows run on wall-clock time,
 * not the injected clock.
 */
export interface LimiterStore {
  counter(spec: CounterSpec): RateLimiterAbstract;
  /**
   * Where failure limiters learn of blocks without a read (limit-block-board.ts): on PostgreSQL,
   * where a read is a round trip to the server, blocks are announced to every instance. Absent
   * on SQLite, where the read is an indexed lookup in the process.
   */
  readonly blockBoard?: BlockBoard;
  /** Deletes counters whose window has ended; run by the prune timer. */
  clearExpired(): Promise<number>;
}
