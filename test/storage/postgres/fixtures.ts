import crypto from 'node:crypto';
import type { Role } from '../../../src/tokens/access-token';
import type { Storage } from '../../../src/storage/storage';

/** What these tests need of a storage: the repositories. */
type Repositories = Pick<Storage, 'users' | 'sessions' | 'audit'>;

export async function insertUser(storage: Repositories, at: Date, role: Role = 'USER') {
  const id = crypto.randomUUID();
  return storage.users.create(
    { id, email: `${id}@example.com`, passwordHash: 'old-hash', displayName: 'someone', role, createdAt: at },
    { type: 'SIGNUP', userId: id },
  );
}

export interface InsertedSession {
  id: string;
  tokenId: string;
  tokenHash: string;
}

/** A session whose idle expiry is `expiresAt`, with one refresh token that expires with it. */
export async function insertSession(storage: Repositories, userId: string, createdAt: Date, expiresAt: Date): Promise<string> {
  return (await insertSessionWithToken(storage, userId, createdAt, expiresAt)).id;
}

export async function insertSessionWithToken(storage: Repositories, userId: string, createdAt: Date, expiresAt: Date): Promise<InsertedSession> {
  const id = crypto.randomUUID();
  const tokenId = crypto.randomUUID();
  const tokenHash = crypto.randomBytes(32).toString('hex');
  await storage.sessions.create(
    { id, userId, createdAt, lastUsedAt: createdAt, expiresAt, maxExpiresAt: expiresAt, userAgent: null, ip: null, csrfTokenHash: null },
    { id: tokenId, tokenHash, createdAt, expiresAt },
    { type: 'LOGIN_SUCCEEDED', userId, sessionId: id },
  );
  return { id, tokenId, tokenHash };
}

/** A rotation of `tokenId` to a new successor, as session.service.ts asks for one. */
export function rotationOf(session: InsertedSession, userId: string, at: Date, sessionExpiresAt: Date) {
  return {
    tokenId: session.tokenId,
    at,
    nonce: crypto.randomBytes(16).toString('hex'),
    successor: { id: crypto.randomUUID(), tokenHash: crypto.randomBytes(32).toString('hex'), createdAt: at, expiresAt: sessionExpiresAt },
    sessionId: session.id,
    sessionExpiresAt,
    audit: { type: 'TOKEN_REFRESHED' as const, userId, sessionId: session.id },
  };
}
