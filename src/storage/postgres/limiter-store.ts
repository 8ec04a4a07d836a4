import pg from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { LimiterStore } from '../rate-limits';
import type { BlockBoard } from '../limit-block-board';
import { notifyInstances, type PgDb } from './database';
import { toStorageError } from './errors';

/** The channel on which failure limiters announce blocks to every instance (limit-block-board.ts). */
export const LIMIT_BLOCK_CHANNEL = 'keycard_limit_blocks';

/** Created by the migration (drizzle/postgres/), never by rate-limiter-flexible. */
const TABLE = 'rate_limits';

/** int8 (bigint) as a number, as SQLite's INTEGER reads: `expire` is epoch ms, well inside 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * Rate-limit counters in the shared PostgreSQL database, so that every instance counts the same
 * attempts (a guesser gets no fresh budget by reaching another instance) and a restart forgets
 * nothing. rate-limiter-flexible's RateLimiterPostgres keeps each counter in one row and
 * updates it with one INSERT ... ON CONFLICT DO UPDATE: atomic across instances. Like the SQLite
 * store, windows run on Date.now(), which the library reads itself.
 */
export function createPostgresLimiterStore(pool: pg.Pool, blockBoard: BlockBoard): LimiterStore {
  // What the library calls: pool.query, with pg's errors translated (no SQL reaches a caller)
  // and bigint read as a number.
  const client = {
    query(config: pg.QueryConfig) {
      return pool.query({ ...config, types }).catch((error: unknown) => {
        throw toStorageError(error);
      });
    },
  };
  return {
    blockBoard,
    counter(spec) {
      return new RateLimiterPostgres({
        storeClient: client,
        storeType: 'pool',
        tableName: TABLE,
        tableCreated: true,
        // The prune timer calls clearExpired; the library's own timer would be a second one per counter.
        clearExpiredByTimeout: false,
        keyPrefix: spec.name,
        points: spec.points,
        duration: spec.durationMs / 1000,
      });
    },
    async clearExpired() {
      try {
        const result = await pool.query(`DELETE FROM ${TABLE} WHERE expire IS NOT NULL AND expire < $1`, [Date.now()]);
        return result.rowCount ?? 0;
      } catch (error) {
        throw toStorageError(error);
      }
    },
  };
}

/** Sends the block board's announcements to the other instances (this one's board already knows). */
export function publishLimitBlock(db: PgDb): (payload: string) => Promise<void> {
  return async (payload) => {
    try {
      await notifyInstances(db, LIMIT_BLOCK_CHANNEL, payload);
    } catch (error) {
      throw toStorageError(error);
    }
  };
}
