import crypto from 'node:crypto';
import { createUserRepository } from '../../src/accounts/user.repository';
import { createAuditRepository } from '../../src/audit/audit.repository';
import { openDatabase } from '../../src/db/client';
import { applyMigrations } from '../../src/db/migrate';
import { createSessionRepository } from '../../src/sessions/session.repository';
import { createViewerStateChanges } from '../../src/sessions/viewer-state-cache';

/** Repositories on a fresh :memory: database, for tests of what one transaction commits. */
export function openTestStorage() {
  const database = openDatabase(':memory:');
  applyMigrations(database.db);
  const changes = createViewerStateChanges();
  return {
    database,
    users: createUserRepository(database.db, changes),
    sessions: createSessionRepository(database.db, changes),
    audit: createAuditRepository(database.db),
    close: () => database.close(),
  };
}

export type TestStorage = ReturnType<typeof openTestStorage>;

export async function insertUser(storage: TestStorage, at: Date, role: 'USER' | 'ADMIN' = 'USER') {
  const id = crypto.randomUUID();
  return storage.users.create(
    { id, email: `${id}@example.com`, passwordHash: 'old-hash', displayName: 'someone', role, createdAt: at },
    { type: 'SIGNUP', userId: id },
  );
}

/** A session whose idle expiry is `expiresAt`, with one refresh token that expires with it. */
export async function insertSession(storage: TestStorage, userId: string, createdAt: Date, expiresAt: Date): Promise<string> {
  const id = crypto.randomUUID();
  await storage.sessions.create(
    { id, userId, createdAt, lastUsedAt: createdAt, expiresAt, maxExpiresAt: expiresAt, userAgent: null, ip: null, csrfTokenHash: null },
    { id: crypto.randomUUID(), tokenHash: crypto.randomBytes(32).toString('hex'), createdAt, expiresAt },
    { type: 'LOGIN_SUCCEEDED', userId, sessionId: id },
  );
  return id;
}
