import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { SigningKeyRepository } from '../signing-keys';
import type { Db } from './client';
import { signingKeys } from './schema';

export function createSigningKeyRepository(db: Db): SigningKeyRepository {
  const listAll = db.select().from(signingKeys).prepare();
  return {
    async list() {
      return listAll.all();
    },
    async insert(key) {
      db.insert(signingKeys).values(key).run();
    },
    async insertUnlessCreatedSince(key, since) {
      return db.transaction(
        (tx) => {
          const newer = tx.select({ n: sql<number>`count(*)` }).from(signingKeys).where(gt(signingKeys.createdAt, since)).get();
          if ((newer?.n ?? 0) > 0) return false;
          tx.insert(signingKeys).values(key).run();
          return true;
        },
        { behavior: 'immediate' },
      );
    },
    async retire(kid, at) {
      db.update(signingKeys)
        .set({ retiredAt: at })
        .where(and(eq(signingKeys.kid, kid), isNull(signingKeys.retiredAt)))
        .run();
    },
  };
}
