import type { AuditEventInput } from '../audit/audit-event';
import { isScope, type Scope } from '../permissions/scopes';
import type { Role } from '../tokens/access-token';
import type { UserListItem } from './users';

/** A personal access token as stored: only its hash, never the token. */
export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  scopes: Scope[];
  /** SHA-256 of the token (src/tokens/api-token.ts). */
  tokenHash: string;
  /** The first characters of the token, to recognise it in a list. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** null: no expiry. */
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export type NewApiToken = Omit<ApiToken, 'lastUsedAt' | 'revokedAt'>;

/** What the request path needs to honour an API token: read in one join, cached like a session's. */
export interface ApiTokenViewerState {
  tokenId: string;
  userId: string;
  scopes: Scope[];
  role: Role;
  revokedAt: Date | null;
  expiresAt: Date | null;
  disabledAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  user: UserListItem;
}

/** Usable now: not revoked, its owner enabled, not expired. */
export function isLiveApiTokenState(state: ApiTokenViewerState, nowMs: number): boolean {
  return state.revokedAt === null && state.disabledAt === null && (state.expiresAt === null || state.expiresAt.getTime() > nowMs);
}

export class ApiTokenLimitError extends Error {
  constructor(readonly limit: number) {
    super(`at most ${limit} live API tokens per user`);
    this.name = 'ApiTokenLimitError';
  }
}

export interface ApiTokenRepository {
  /**
   * Inserts the token and its audit event in one transaction, unless the user already holds
   * `limit` live tokens (checked in the same transaction): then ApiTokenLimitError.
   */
  create(token: NewApiToken, limit: number, now: Date, audit: AuditEventInput): Promise<void>;
  findById(id: string): Promise<ApiToken | undefined>;
  findByHash(tokenHash: string): Promise<ApiToken | undefined>;
  /** The check of a request bearing an API token; served from the viewer-state cache while nothing it depends on changed. */
  findViewerState(tokenHash: string, nowMs: number): Promise<ApiTokenViewerState | undefined>;
  /** The live (unrevoked, unexpired) tokens of a user, oldest first. */
  listLiveForUser(userId: string, now: Date): Promise<ApiToken[]>;
  /** Revokes one token; false if it was already revoked. The audit event is written only when it was revoked now. */
  revoke(id: string, at: Date, audit: AuditEventInput): Promise<boolean>;
  /**
   * Records a use, only when the stored lastUsedAt is older than `notBefore` (or null): many
   * instances serving one token write about once per interval, not once per request.
   */
  touchLastUsed(id: string, at: Date, notBefore: Date): Promise<boolean>;
  /** Deletes tokens revoked or expired before `cutoff`. */
  pruneExpired(cutoff: Date): Promise<number>;
}

/** Methods that never write; every other one bumps the viewer-state version (src/storage/invalidation.ts). */
export const API_TOKEN_READS = ['findById', 'findByHash', 'findViewerState', 'listLiveForUser'] as const satisfies readonly (keyof ApiTokenRepository)[];

/**
 * Writes that cannot make a cached state wrong: `create` adds a token nobody has cached;
 * `touchLastUsed` changes only lastUsedAt, which no authorization reads; `pruneExpired` deletes
 * only tokens already dead, which the cache never serves (isLiveApiTokenState is checked on every hit).
 */
export const API_TOKEN_WRITES_KEEPING_VIEWER_STATES = ['create', 'touchLastUsed', 'pruneExpired'] as const satisfies readonly (keyof ApiTokenRepository)[];

export function encodeScopes(scopes: readonly Scope[]): string {
  return scopes.join(' ');
}

/** Stored scopes back to the closed list; an entry no longer in it grants nothing (fail closed). */
export function decodeScopes(text: string): Scope[] {
  return text.split(' ').filter((entry): entry is Scope => isScope(entry));
}
