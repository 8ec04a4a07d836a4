import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { signingKeys } from '../db/schema';
import type { StoredSigningKey } from './signing-keys';

export interface SigningKeyRepository {
  list(): Promise<StoredSigningKey[]>;
  insert(key: StoredSigningKey): Promise<void>;
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
    async retire(kid, at) {
      db.update(signingKeys).set({ retiredAt: at }).where(eq(signingKeys.kid, kid)).run();
    },
  };
}
