import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { signingKeys } from '../db/schema';
import type { StoredSigningKey } from './signing-keys';

export interface SigningKeyRepository {
  list(): Promise<StoredSigningKey[]>;
  insert(key: StoredSigningKey): Promise<void>;
  /**
   * Inserts the key only if no key was created after `since`: two instances that decide to
   * rotate at the same moment add one key between them, not two.
   */
  insertUnlessCreatedSince(key: StoredSigningKey, since: Date): Promise<boolean>;
  /** Marks a key retired; a key already retired keeps its first retirement time. */
  retire(kid: string, at: Date): Promise<void>;
}

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
