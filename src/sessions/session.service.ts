import crypto from 'node:crypto';
import type { AccessTokenService, Role } from '../tokens/access-token';
import { csrfTokenMatches, macCsrfToken, mintCsrfToken } from '../http/csrf';
import { createRefreshTokenRandomness, deriveSuccessor, hashRefreshToken, looksLikeRefreshToken } from '../tokens/refresh-token';
import { AuditEventType, type RequestOrigin } from '../audit/audit-event';
import type { Clock } from '../clock';
import { errors, RefreshErrorReason, TokenErrorReason } from '../errors';
import { isLiveViewerState, type RefreshState, type SessionRepository } from '../storage/sessions';
import type { User, UserListItem } from '../storage/users';

export interface IssuedTokens {
  userId: string;
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  /** Set when the session was started in cookie mode. */
  csrfToken: string | null;
}

/** The caller of a request, as established from a verified access token and a live session. */
export interface Viewer {
  userId: string;
  sessionId: string;
  /** The current role from storage: a demotion takes effect on the very next request. */
  role: Role;
  /** The user as stored when this request began (read together with the session check). */
  user: UserListItem;
}

export type Authentication = { viewer: Viewer; authError: null } | { viewer: null; authError: TokenErrorReason | null };

export const RevokeReason = {
  LOGOUT: 'LOGOUT',
  LOGOUT_ALL: 'LOGOUT_ALL',
  REFRESH_TOKEN_REUSED: 'REFRESH_TOKEN_REUSED',
  REVOKED: 'REVOKED',
  PASSWORD_CHANGED: 'PASSWORD_CHANGED',
  USER_DISABLED: 'USER_DISABLED',
} as const;

export interface SessionServiceOptions {
  sessions: SessionRepository;
  accessTokens: AccessTokenService;
  clock: Clock;
  refreshTokenTtlMs: number;
  sessionMaxAgeMs: number;
  refreshReuseGraceMs: number;
  refreshDerivationKey: crypto.KeyObject;
  csrfKey: crypto.KeyObject;
}

const BEARER = /^bearer[ \t]+([A-Za-z0-9\-_.~+/]+=*)[ \t]*$/i;
const MAX_GRACE_CHAIN = 8;
const MAX_ROTATION_ATTEMPTS = 3;

export function createSessionService(options: SessionServiceOptions) {
  const { sessions, accessTokens, clock } = options;
  const { mintRefreshToken, newRotationNonce } = createRefreshTokenRandomness();

  function issue(userId: string, role: Role, sessionId: string, refreshToken: string, refreshExpiresAt: Date, csrfToken: string | null): IssuedTokens {
    const access = accessTokens.issue({ userId, sessionId, role });
    return {
      userId,
      sessionId,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt: refreshExpiresAt,
      csrfToken,
    };
  }

  /**
   * A grace-window retry: follow the rotation chain from the presented token to its live
   * successor, re-deriving each link, and hand that same successor out again.
   */
  async function replayWithinGrace(presented: string, state: RefreshState, now: number): Promise<{ token: string; expiresAt: Date } | null> {
    let plain = presented;
    let link = state.token;
    for (let step = 0; step < MAX_GRACE_CHAIN; step++) {
      if (link.rotatedAt === null) {
        return link.expiresAt.getTime() > now ? { token: plain, expiresAt: link.expiresAt } : null;
      }
      if (now - link.rotatedAt.getTime() > options.refreshReuseGraceMs || !link.rotationNonce || !link.replacedBy) return null;
      plain = deriveSuccessor(options.refreshDerivationKey, plain, link.rotationNonce);
      const next = await sessions.findTokenById(link.replacedBy);
      if (!next || next.tokenHash !== hashRefreshToken(plain)) return null;
      link = next;
    }
    return null;
  }

  return {
    /** Starts a new session (a new refresh-token family) for a user who just proved who they are. */
    async start(user: User, origin: RequestOrigin, mode: { cookie: boolean }, auditType: 'LOGIN_SUCCEEDED' | 'SIGNUP' | 'OAUTH'): Promise<IssuedTokens> {
      const now = clock.now();
      const sessionId = crypto.randomUUID();
      const refreshToken = mintRefreshToken();
      const maxExpiresAt = new Date(now + options.sessionMaxAgeMs);
      const expiresAt = new Date(Math.min(now + options.refreshTokenTtlMs, maxExpiresAt.getTime()));
      const csrfToken = mode.cookie ? mintCsrfToken() : null;
      await sessions.create(
        {
          id: sessionId,
          userId: user.id,
          createdAt: new Date(now),
          lastUsedAt: new Date(now),
          expiresAt,
          maxExpiresAt,
          userAgent: origin.userAgent,
          ip: origin.ip,
          csrfTokenHash: csrfToken ? macCsrfToken(options.csrfKey, csrfToken) : null,
        },
        { id: crypto.randomUUID(), tokenHash: hashRefreshToken(refreshToken), createdAt: new Date(now), expiresAt },
        { type: AuditEventType.LOGIN_SUCCEEDED, userId: user.id, actorId: user.id, sessionId, ...origin, detail: { via: auditType === 'SIGNUP' ? 'signup' : auditType === 'OAUTH' ? 'oauth' : 'login', delivery: mode.cookie ? 'COOKIE' : 'BODY' } },
      );
      return issue(user.id, user.role, sessionId, refreshToken, expiresAt, csrfToken);
    },

    /**
     * Rotates a refresh token (RFC 9700 §4.14.2). A rotated token presented again within the
     * grace window gets the same successor; later, it is theft: the whole family is revoked.
     */
    /**
     * `bearerUserId` is the user of a valid access token sent with the request, if any: a refresh
     * token of another user then gets the same answer as an unknown one and nothing changes, so
     * a request never mixes two users' credentials (a token planted in a cookie, a client that
     * keeps the wrong one).
     */
    async refresh(
      presented: string,
      origin: RequestOrigin,
      csrf: { required: boolean; header: string | undefined },
      bearerUserId: string | null = null,
    ): Promise<IssuedTokens & { user: UserListItem }> {
      if (!looksLikeRefreshToken(presented)) throw errors.invalidRefreshToken(RefreshErrorReason.UNKNOWN);
      const hash = hashRefreshToken(presented);
      for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
        const state = await sessions.findRefreshState(hash);
        if (!state) throw errors.invalidRefreshToken(RefreshErrorReason.UNKNOWN);
        const { token, session, user } = state;
        if (bearerUserId !== null && bearerUserId !== user.id) throw errors.invalidRefreshToken(RefreshErrorReason.UNKNOWN);
        const now = clock.now();
        if (csrf.required && !csrfTokenMatches(options.csrfKey, csrf.header, session.csrfTokenHash)) {
          throw errors.forbidden('CSRF_TOKEN_INVALID', 'The X-CSRF-Token header is missing or wrong.');
        }
        if (session.revokedAt !== null || user.disabledAt !== null) throw errors.invalidRefreshToken(RefreshErrorReason.REVOKED);
        if (now >= session.maxExpiresAt.getTime()) throw errors.invalidRefreshToken(RefreshErrorReason.EXPIRED);

        if (token.rotatedAt !== null) {
          const replay = await replayWithinGrace(presented, state, now);
          if (replay) {
            return { ...issue(user.id, user.role, session.id, replay.token, replay.expiresAt, csrf.required ? csrf.header! : null), user };
          }
          await sessions.revoke(session.id, RevokeReason.REFRESH_TOKEN_REUSED, new Date(now), {
            type: AuditEventType.REFRESH_TOKEN_REUSED,
            userId: user.id,
            sessionId: session.id,
            ...origin,
            detail: { tokenId: token.id, rotatedAt: token.rotatedAt.toISOString() },
          });
          throw errors.invalidRefreshToken(RefreshErrorReason.REUSED);
        }
        if (now >= token.expiresAt.getTime() || now >= session.expiresAt.getTime()) {
          throw errors.invalidRefreshToken(RefreshErrorReason.EXPIRED);
        }

        const nonce = newRotationNonce();
        const successor = deriveSuccessor(options.refreshDerivationKey, presented, nonce);
        const expiresAt = new Date(Math.min(now + options.refreshTokenTtlMs, session.maxExpiresAt.getTime()));
        const rotated = await sessions.rotate({
          tokenId: token.id,
          at: new Date(now),
          nonce,
          successor: { id: crypto.randomUUID(), tokenHash: hashRefreshToken(successor), createdAt: new Date(now), expiresAt },
          sessionId: session.id,
          sessionExpiresAt: expiresAt,
          audit: { type: AuditEventType.TOKEN_REFRESHED, userId: user.id, actorId: user.id, sessionId: session.id, ...origin },
        });
        if (rotated) return { ...issue(user.id, user.role, session.id, successor, expiresAt, csrf.required ? csrf.header! : null), user };
        // Another request rotated this token between our read and our write: read again, and
        // the grace path hands out the successor it minted.
      }
      throw errors.invalidRefreshToken(RefreshErrorReason.REVOKED);
    },

    /** Resolves which session a refresh token belongs to, for logout by token. */
    async sessionOfRefreshToken(presented: string): Promise<RefreshState | undefined> {
      if (!looksLikeRefreshToken(presented)) return undefined;
      return sessions.findRefreshState(hashRefreshToken(presented));
    },

    csrfMatches(header: string | undefined, storedMac: string | null): boolean {
      return csrfTokenMatches(options.csrfKey, header, storedMac);
    },

    async end(sessionId: string, userId: string, reason: keyof typeof RevokeReason, origin: RequestOrigin, actorId: string | null): Promise<boolean> {
      const type = reason === 'LOGOUT' ? AuditEventType.LOGOUT : AuditEventType.SESSION_REVOKED;
      return sessions.revoke(sessionId, RevokeReason[reason], new Date(clock.now()), { type, userId, actorId, sessionId, ...origin });
    },

    async endAllOf(userId: string, reason: keyof typeof RevokeReason, origin: RequestOrigin, actorId: string | null, exceptSessionId?: string): Promise<number> {
      const type = reason === 'LOGOUT_ALL' ? AuditEventType.LOGOUT_ALL : null;
      return sessions.revokeAllForUser(userId, RevokeReason[reason], new Date(clock.now()), {
        exceptSessionId,
        audit: type ? { type, userId, actorId, sessionId: exceptSessionId ?? null, ...origin } : undefined,
      });
    },

    /** Who a session belongs to, for the ownership rule of revokeSession; null for an unknown id. */
    async ownerOf(sessionId: string): Promise<string | null> {
      return (await sessions.findById(sessionId))?.userId ?? null;
    },

    /**
     * Ends one session by id on behalf of `actorId` (the owner or an ADMIN: graphql-shield has
     * decided that). True if it ended now, false if it had already ended.
     */
    async revoke(sessionId: string, actorId: string, origin: RequestOrigin): Promise<boolean> {
      const session = await sessions.findById(sessionId);
      if (!session) throw errors.notFound('Session');
      if (session.revokedAt !== null) return false;
      return sessions.revoke(sessionId, RevokeReason.REVOKED, new Date(clock.now()), {
        type: AuditEventType.SESSION_REVOKED,
        userId: session.userId,
        actorId,
        sessionId,
        ...origin,
      });
    },

    async listLive(userId: string) {
      return sessions.listLiveForUser(userId, new Date(clock.now()));
    },

    /**
     * Turns an Authorization header into a viewer, or into the reason there is none. Never
     * throws: a stale header must not break login or refresh (contract.md, "Errors").
     */
    async authenticate(authorization: string | undefined): Promise<Authentication> {
      if (authorization === undefined || authorization === '') return { viewer: null, authError: null };
      const match = BEARER.exec(authorization);
      if (!match) return { viewer: null, authError: TokenErrorReason.TOKEN_INVALID };
      const verified = accessTokens.verify(match[1]!);
      if (!verified.ok) return { viewer: null, authError: verified.reason };
      const { claims } = verified;
      const now = clock.now();
      const state = await sessions.findViewerState(claims.sid, now);
      if (!state || state.userId !== claims.sub || !isLiveViewerState(state, now)) return { viewer: null, authError: TokenErrorReason.TOKEN_REVOKED };
      return { viewer: { userId: state.userId, sessionId: state.sessionId, role: state.role, user: state.user }, authError: null };
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
