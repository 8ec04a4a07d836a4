import type Database from 'better-sqlite3';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import type { LimiterStore } from '../rate-limits';
import type { WriteGate } from './write-gate';

/** The limiter's methods that write; through the write gate, like every repository write. `get` is a read. */
const LIMITER_WRITES = new Set(['consume', 'penalty', 'reward', 'block', 'set', 'delete']);

/** Created by migration 0001 (drizzle/sqlite), in the shape rate-limiter-flexible expects (schema.ts). */
const TABLE = 'rate_limits';

/**
 * Counters in the application's own SQLite database (see LimiterStore). The table comes from
 * the migrations, so the library is told it exists (`tableCreated: true`): left to itself it
 * creates it in a promise and refuses every call until that promise has run.
 */
export function createSqliteLimiterStore(sqlite: Database.Database, gate: WriteGate): LimiterStore {
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
      const limiter = new RateLimiterSQLite({
        storeClient: client,
        storeType: 'better-sqlite3',
        tableName: TABLE,
        tableCreated: true,
        keyPrefix: spec.name,
        points: spec.points,
        duration: spec.durationMs / 1000,
      });
      return new Proxy(limiter, {
        get(target, name, receiver) {
          const member = Reflect.get(target, name, receiver) as unknown;
          if (typeof name !== 'string' || !LIMITER_WRITES.has(name) || typeof member !== 'function') return member;
          return (...args: unknown[]) => gate.run(() => (member as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        },
      });
    },
    clearExpired() {
      return gate.run(async () => deleteExpired.run(Date.now()).changes);
    },
  };
}
