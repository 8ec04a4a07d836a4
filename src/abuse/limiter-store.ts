import type Database from 'better-sqlite3';
import { RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** One key space of counters: `points` attempts per `durationMs`. */
export interface CounterSpec {
  /** Prefix of every key, so counters sharing a table never see each other's keys. */
  name: string;
  points: number;
  durationMs: number;
}

/**
 * Where rate-limit counters live. Only this file knows the backend: moving the counters to
 * Redis or PostgreSQL (several server processes) is another implementation of this interface.
 */
export interface LimiterStore {
  counter(spec: CounterSpec): RateLimiterAbstract;
  /** Deletes counters whose window has ended; run by the prune timer. */
  clearExpired(): Promise<number>;
}

const TABLE = 'rate_limits';

/**
 * Counters in the application's own SQLite database, so a restart does not hand an attacker a
 * fresh set of guesses (OWASP ASVS 6.3.1: anti-automation must hold across restarts).
 * rate-limiter-flexible reads Date.now() itself: windows run on wall-clock time, not the
 * injected clock.
 */
export function createSqliteLimiterStore(sqlite: Database.Database): LimiterStore {
  // The table rate-limiter-flexible expects; created here, synchronously, because the library
  // creates it in a promise and refuses every call until that promise has run.
  sqlite.prepare(`CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER)`).run();
  const deleteExpired = sqlite.prepare(`DELETE FROM ${TABLE} WHERE expire IS NOT NULL AND expire < ?`);
  // rate-limiter-flexible calls prepare() for every operation, and better-sqlite3 compiles the
  // SQL each time. Its statements are a handful of fixed strings: compile each once. A login
  // makes four limiter calls, a refresh one.
  const statements = new Map<string, Database.Statement>();
  const client = {
    prepare(sql: string): Database.Statement {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = sqlite.prepare(sql)));
      return statement;
    },
    transaction: sqlite.transaction.bind(sqlite),
  };
  return {
    counter(spec) {
      return new RateLimiterSQLite({
        storeClient: client,
        storeType: 'better-sqlite3',
        tableName: TABLE,
        tableCreated: true,
        keyPrefix: spec.name,
        points: spec.points,
        duration: spec.durationMs / 1000,
      });
    },
    async clearExpired() {
      return deleteExpired.run(Date.now()).changes;
    },
  };
}
