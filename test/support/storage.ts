import crypto from 'node:crypto';
import { loadConfig } from '../../src/config';
import { openStorage, type Storage, type StorageOptions } from '../../src/storage/storage';
import { TEST_DIALECT } from './dialect';
import { openTestPostgresStorage } from './postgres';

/** The database of tests that open storage without an app on SQLite: a fresh one per call. */
export const TEST_DATABASE_URL = ':memory:';

/**
 * A fresh, migrated Storage of its own, through openStorage like the app's: SQLite :memory:, or
 * under TEST_DATABASE=postgres a new PostgreSQL database that close() drops.
 */
export function openTestStorage(options: StorageOptions = {}): Promise<Storage> {
  if (TEST_DIALECT === 'postgres') return openTestPostgresStorage(options);
  return openStorage(loadConfig({ NODE_ENV: 'test', DATABASE_URL: TEST_DATABASE_URL, LOG_LEVEL: 'silent' }), options);
}

export async function insertUser(storage: Storage, at: Date, role: 'USER' | 'ADMIN' = 'USER') {
  const id = crypto.randomUUID();
  return storage.users.create(
    { id, email: `${id}@example.com`, passwordHash: 'old-hash', displayName: 'someone', role, createdAt: at },
    { type: 'SIGNUP', userId: id },
  );
}

/** A session whose idle expiry is `expiresAt`, with one refresh token that expires with it. */
export async function insertSession(storage: Storage, userId: string, createdAt: Date, expiresAt: Date): Promise<string> {
  return (await insertSessionWithToken(storage, userId, createdAt, expiresAt)).sessionId;
}

/** insertSession, also returning its refresh token's id and hash. */
export async function insertSessionWithToken(storage: Storage, userId: string, createdAt: Date, expiresAt: Date) {
  const sessionId = crypto.randomUUID();
  const token = { id: crypto.randomUUID(), tokenHash: crypto.randomBytes(32).toString('hex'), createdAt, expiresAt };
  await storage.sessions.create(
    { id: sessionId, userId, createdAt, lastUsedAt: createdAt, expiresAt, maxExpiresAt: expiresAt, userAgent: null, ip: null, csrfTokenHash: null },
    token,
    { type: 'LOGIN_SUCCEEDED', userId, sessionId },
  );
  return { sessionId, tokenId: token.id, tokenHash: token.tokenHash };
}
