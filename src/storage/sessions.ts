import type { Role } from '../tokens/access-token';
import type { Scope } from '../permissions/scopes';
import type { AuditEventInput } from '../audit/audit-event';
import type { UserListItem } from './users';

/** One login on one device: the family of refresh tokens that rotate from it. */
export interface Session {
  id: string;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date;
  /** Idle expiry: slides forward on each rotation, never past maxExpiresAt. */
  expiresAt: Date;
  /** Absolute expiry: no refresh extends a session past it. */
  maxExpiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  userAgent: string | null;
  ip: string | null;
  /** HMAC of the CSRF token issued with a cookie-mode session; null in body mode. */
  csrfTokenHash: string | null;
  /** The scopes its access tokens carry; null: everything the user's role allows. A device session holds what was approved. */
  scopes: Scope[] | null;
  /** The OAuth client (OAUTH_DEVICE_CLIENTS) a device session was started for; null for a login. */
  clientId: string | null;
}

export interface RefreshToken {
  id: string;
  sessionId: string;
  /** SHA-256 of the token; the token itself is never stored. */
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  rotatedAt: Date | null;
  /** Random input of the successor's derivation; lets a grace-window retry get the same successor back. */
  rotationNonce: string | null;
  replacedBy: string | null;
}

export interface NewRefreshToken {
  id: string;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
}

/** What a rotation decides on; read in one join on every refresh, so only these fields. */
export interface RefreshState {
  token: Pick<RefreshToken, 'id' | 'createdAt' | 'expiresAt' | 'rotatedAt' | 'rotationNonce' | 'replacedBy'>;
  session: Pick<Session, 'id' | 'csrfTokenHash' | 'revokedAt' | 'expiresAt' | 'maxExpiresAt' | 'scopes' | 'clientId'>;
  user: UserListItem;
}

/** What the request path needs to know about a session to honour an access token. */
export interface ViewerState {
  sessionId: string;
  userId: string;
  role: Role;
  revokedAt: Date | null;
  expiresAt: Date;
  disabledAt: Date | null;
  /** The session's granted scopes (Session.scopes); null or absent: all its role allows. */
  scopes?: Scope[] | null;
  /** The user as read with the session, so `me` needs no second read. */
  user: UserListItem;
}

/** A session that may be used now: not ended, its user enabled, its idle expiry ahead. */
export function isLiveViewerState(state: ViewerState, nowMs: number): boolean {
  return state.revokedAt === null && state.disabledAt === null && state.expiresAt.getTime() > nowMs;
}

export interface Rotation {
  tokenId: string;
  at: Date;
  nonce: string;
  successor: NewRefreshToken;
  sessionId: string;
  sessionExpiresAt: Date;
  audit: AuditEventInput;
}

/**
 * A rotation prepared before the token's state is read, for findAndRotate: the successor is
 * derived from the presented token and a fresh nonce, so it needs nothing from storage.
 */
export interface RotationPlan {
  at: Date;
  nonce: string;
  /** Its expiry, and the session's new idle expiry, is the earlier of `uncappedExpiresAt` and the session's absolute expiry. */
  successor: { id: string; tokenHash: string; uncappedExpiresAt: Date };
  /** Conditions of the caller, besides a current token, a live session and an enabled user. */
  onlyIf: { userId: string | null; emailVerified: boolean };
  /** The TOKEN_REFRESHED event; its user, actor and session are the token's. */
  audit: Pick<AuditEventInput, 'type' | 'ip' | 'userAgent'>;
}

/**
 * Rows the prune deletes per transaction. Each batch is a few milliseconds on an indexed
 * column, and the event loop turns between two (yieldToRequests), so requests are served while
 * half a million expired rows go (one transaction over all of them froze a server for ~6 s).
 */
export const PRUNE_BATCH_ROWS = 500;

/** Lets every request that is ready run before the next batch (setImmediate: after the poll phase). */
export const yieldToRequests = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A session as it starts: live, not yet used by a refresh. */
export type NewSession = Pick<Session, 'id' | 'userId' | 'createdAt' | 'lastUsedAt' | 'expiresAt' | 'maxExpiresAt'> &
  Partial<Pick<Session, 'userAgent' | 'ip' | 'csrfTokenHash' | 'scopes' | 'clientId'>>;

export interface SessionRepository {
  /** Session, first refresh token and audit event in one transaction. */
  create(session: NewSession, token: NewRefreshToken, audit: AuditEventInput): Promise<void>;
  findById(id: string): Promise<Session | undefined>;
  /**
   * The session check of a request. Served from memory while nothing it depends on has been
   * written since it was read (src/storage/viewer-state-cache.ts), else one read of storage.
   */
  findViewerState(sessionId: string, nowMs: number): Promise<ViewerState | undefined>;
  findRefreshState(tokenHash: string): Promise<RefreshState | undefined>;
  findTokenById(id: string): Promise<RefreshToken | undefined>;
  /**
   * Marks the token rotated and inserts its successor, atomically and only if nobody rotated it
   * first (optimistic: false means a concurrent refresh won and the caller should look again).
   */
  rotate(rotation: Rotation): Promise<boolean>;
  /**
   * findRefreshState and rotate in one round trip, where a round trip is what a refresh costs
   * (PostgreSQL; absent on SQLite, whose reads are calls in the process). Rotates only if the
   * token is current (not rotated, not expired), its session live (not revoked, before both
   * expiries) and its user enabled, and `plan.onlyIf` holds; returns the state as it was before.
   * The caller still decides on that state as on findRefreshState's, and must find that it
   * would have rotated whenever `rotated` is true.
   */
  findAndRotate?(tokenHash: string, plan: RotationPlan): Promise<{ state: RefreshState | undefined; rotated: boolean }>;
  /** Ends one session; false if it had already ended. The audit event is written either way. */
  revoke(sessionId: string, reason: string, at: Date, audit: AuditEventInput | null): Promise<boolean>;
  /** Ends every live session of a user, optionally but one; returns how many ended. */
  revokeAllForUser(userId: string, reason: string, at: Date, options: { exceptSessionId?: string; audit?: AuditEventInput }): Promise<number>;
  listLiveForUser(userId: string, now: Date): Promise<Session[]>;
  /**
   * Deletes sessions (and so their tokens) that ended or expired before `cutoff`, and expired
   * tokens, in batches of PRUNE_BATCH_ROWS with the event loop free between two.
   */
  pruneExpired(cutoff: Date): Promise<{ sessions: number; refreshTokens: number }>;
}

/**
 * The methods of SessionRepository that never write. Every other method, a method added later
 * included, invalidates the session check's cache (src/storage/invalidation.ts).
 */
export const SESSION_READS = ['findById', 'findViewerState', 'findRefreshState', 'findTokenById', 'listLiveForUser'] as const satisfies readonly (keyof SessionRepository)[];

/**
 * Writes that cannot make a cached viewer state wrong, so they leave the cache valid: `create`
 * adds a session nobody has cached; `rotate` (and `findAndRotate`) only slides a session's idle expiry later, and a
 * cached state is read again once its own (earlier) expiry has passed (isLiveViewerState), so
 * it errs on the safe side. Without this, every refresh anywhere would send every other
 * session's next check to the database. test/storage/invalidation.test.ts proves each keeps
 * every cached state consistent with a fresh read.
 */
export const SESSION_WRITES_KEEPING_VIEWER_STATES = ['create', 'rotate', 'findAndRotate'] as const satisfies readonly (keyof SessionRepository)[];

/** Methods an adapter may leave out (its callers then take the general path): findAndRotate, on SQLite. */
export const SESSION_OPTIONAL_METHODS = ['findAndRotate'] as const satisfies readonly (keyof SessionRepository)[];
