import { and, asc, count, eq, gt, isNull, sql } from 'drizzle-orm';
import type { SigningKeyRepository } from '../signing-keys';
import { inTransaction, type PgDb } from './database';
import { translatingErrors } from './errors';
import { signingKeys } from './schema';

/** The advisory lock that serializes "insert a key unless one is newer" across instances. */
const KEY_ROTATION_LOCK = sql`hashtextextended('keycard:signing_keys:rotation', 0)`;

export function createPostgresSigningKeyRepository(db: PgDb): SigningKeyRepository {
  return translatingErrors<SigningKeyRepository>({
    async list() {
      // Order does not matter to the key schedule (it sorts); creation order is SQLite's rowid order.
      return db.select().from(signingKeys).orderBy(asc(signingKeys.createdAt), asc(signingKeys.kid));
    },
    async insert(key) {
      await db.insert(signingKeys).values(key);
    },
    async insertUnlessCreatedSince(key, since) {
      return inTransaction(db, async (tx) => {
        // Two instances deciding to rotate at once: the second waits here until the first has
        // committed, and then (READ COMMITTED: each statement reads what is committed when it
        // starts) its count sees the first one's key. Without the lock both counts could run
        // before either insert and both would insert.
        await tx.execute(sql`SELECT pg_advisory_xact_lock(${KEY_ROTATION_LOCK})`);
        const newer = await tx.select({ n: count() }).from(signingKeys).where(gt(signingKeys.createdAt, since));
        if ((newer[0]?.n ?? 0) > 0) return false;
        await tx.insert(signingKeys).values(key);
        return true;
      });
    },
    async retire(kid, at) {
      await db
        .update(signingKeys)
        .set({ retiredAt: at })
        .where(and(eq(signingKeys.kid, kid), isNull(signingKeys.retiredAt)));
    },
  });
}
