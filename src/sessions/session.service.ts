import crypto from 'node:crypto';
import type { AccessTokenService, Role } from '../tokens/access-token';
import { effectiveScopes, type Scope } from '../permissions/scopes';
import { csrfTokenMatches, macCsrfToken, mintCsrfToken } from '../http/csrf';
import { API_TOKEN_PREFIX } from '../tokens/api-token';
import { createRefreshTokenRandomness, deriveSuccessor, hashRefreshToken, looksLikeRefreshToken } from '../tokens/refresh-token';
import { AuditEventType, type RequestOrigin } from '../audit/audit-event';
import type { Clock } from '../clock';
import { timeOrderedId } from '../storage/time-ordered-id';
import { errors, RefreshErrorReason, TokenErrorReason } from '../errors';
import { isLiveViewerState, type NewRefreshToken, type NewSession, type RefreshState, type RefreshToken, type SessionRepository } from '../storage/sessions';
import type { AuditEventInput } from '../audit/audit-event';
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

/** How the caller proved who they are: a session's access token, or a personal access token. */
export type CredentialKind = 'session' | 'apiToken';

/** The caller of a request, as established from a verified access token and a live session, or a live API token. */
export interface Viewer {
  userId: string;
  /** The session of an access token; null for an API token. */
  sessionId: string | null;
  /** The API token used; null for a session. */
  apiTokenId: string | null;
  credential: CredentialKind;
  /** The current role from storage: a demotion takes effect on the very next request. */
  role: Role;
  /** What this credential may do now: its granted scopes within what the current role allows (effectiveScopes). */
  scopes: ReadonlySet<Scope>;
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
  /** Checks a bearer that is an API token (`kcp_...`); without it such a bearer is TOKEN_INVALID. */
  authenticateApiToken?: (token: string) => Promise<Authentication>;
  /** REQUIRE_EMAIL_VERIFICATION: a refresh of an unverified account answers EMAIL_NOT_VERIFIED. */
  requireEmailVerification?: boolean;
}

/** What an approved device's session is started with (src/devices/device.service.ts). */
interface DeviceGrant {
  sessionId: string;
  clientId: string;
  scopes: readonly Scope[];
  authorizationId: string;
}

/** A session ready to be written by whoever commits it (a magic link: with the token's consumption). */
export interface PreparedSession {
  session: NewSession;
  refreshToken: NewRefreshToken;
  audit: AuditEventInput;
  /** The tokens to hand out once the session is stored. */
  issue(role: Role): IssuedTokens;
}

const BEARER = /^bearer[ \t]+([A-Za-z0-9\-_.~+/]+=*)[ \t]*$/i;
const MAX_GRACE_CHAIN = 8;
const MAX_ROTATION_ATTEMPTS = 3;

/**
 * After a crash (kill -9, power loss) a rotation can be committed and never answered: the client
 * still holds the old token and retries once the server is back, which may be later than the
 * grace window. For a rotation committed at most this long before this process started, the
 * grace window runs from the start instead, as long as its successor was never used (nobody
 * can hold it but the client that lost the answer, or nobody at all). Longer ago, no crash
 * explains the retry. README, "Tokens".
 */
export const CRASH_RECOVERY_LOOKBACK_MS = 5 * 60_000;

/** judge's verdict when the token is to be rotated. */
const ROTATE = Symbol('rotate');

/**
 * Storage rotated a token that the service then refused: findAndRotate's conditions and judge
 * disagree, which is a bug (a check added to one and not the other). The client gets an
 * internal error rather than an answer the rotation contradicts.
 */
function rotatedButRefused(refusal: unknown): Error {
  return new Error(`findAndRotate rotated a refresh token that the service refused (${refusal instanceof Error ? refusal.message : 'a grace-window answer'})`);
}

export function createSessionService(options: SessionServiceOptions) {
  const { sessions, accessTokens, clock } = options;
  const { mintRefreshToken, newRotationNonce } = createRefreshTokenRandomness();
  /** When this process began serving: rotations committed before it may never have been answered. */
  const startedAt = clock.now();

  /**
   * Whether a retry of a rotation is still a retry: within the grace window of the rotation, or
   * (after a restart) within the grace window of the start for a rotation committed shortly
   * before it whose successor was never used.
   */
  function withinGrace(rotatedAt: number, successor: RefreshToken, now: number): boolean {
    const grace = options.refreshReuseGraceMs;
    if (now - rotatedAt <= grace) return true;
    const beforeStart = rotatedAt < startedAt && startedAt - rotatedAt <= CRASH_RECOVERY_LOOKBACK_MS;
    return beforeStart && successor.rotatedAt === null && now - startedAt <= grace;
  }

  function issue(
    userId: string,
    role: Role,
    sessionId: string,
    refreshToken: string,
    refreshExpiresAt: Date,
    csrfToken: string | null,
    scopes?: readonly Scope[] | null,
  ): IssuedTokens {
    // The `scope` claim: the session's granted scopes if it has them (a device), else the role's.
    const access = accessTokens.issue({ userId, sessionId, role, scopes });
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
      if (!link.rotationNonce || !link.replacedBy) return null;
      plain = deriveSuccessor(options.refreshDerivationKey, plain, link.rotationNonce);
      const next = await sessions.findTokenById(link.replacedBy);
      if (!next || next.tokenHash !== hashRefreshToken(plain) || !withinGrace(link.rotatedAt.getTime(), next, now)) return null;
      link = next;
    }
    return null;
  }

  /**
   * A new session and its first refresh token, not yet stored. A device's session (RFC 8628)
   * has the id its authorization was consumed with, its client and its approved scopes, which
   * every token of the family carries.
   */
  function prepare(userId: string, origin: RequestOrigin, mode: { cookie: boolean }, via: string, device?: DeviceGrant): PreparedSession {
    const now = clock.now();
    const sessionId = device?.sessionId ?? crypto.randomUUID();
    const refreshToken = mintRefreshToken();
    const maxExpiresAt = new Date(now + options.sessionMaxAgeMs);
    const expiresAt = new Date(Math.min(now + options.refreshTokenTtlMs, maxExpiresAt.getTime()));
    const csrfToken = mode.cookie ? mintCsrfToken() : null;
    return {
      session: {
        id: sessionId,
        userId,
        createdAt: new Date(now),
        lastUsedAt: new Date(now),
        expiresAt,
        maxExpiresAt,
        userAgent: origin.userAgent,
        ip: origin.ip,
        csrfTokenHash: csrfToken ? macCsrfToken(options.csrfKey, csrfToken) : null,
        ...(device && { scopes: [...device.scopes], clientId: device.clientId }),
      },
      refreshToken: { id: timeOrderedId(now), tokenHash: hashRefreshToken(refreshToken), createdAt: new Date(now), expiresAt },
      audit: {
        type: AuditEventType.LOGIN_SUCCEEDED,
        userId,
        actorId: userId,
        sessionId,
        ...origin,
        detail: device
          ? { via, clientId: device.clientId, scopes: [...device.scopes], deviceAuthorizationId: device.authorizationId }
          : { via, delivery: mode.cookie ? 'COOKIE' : 'BODY' },
      },
      issue: (role) => issue(userId, role, sessionId, refreshToken, expiresAt, csrfToken, device?.scopes),
    };
  }

  /**
   * What a refresh of `presented` comes to, given its stored state: ROTATE, a grace-window
   * retry's answer, or a refusal (thrown). Decides alone: storage's findAndRotate rotates on
   * conditions that must imply ROTATE here (rotatedButRefused is the alarm if they ever do not).
   */
  async function judge(
    state: RefreshState | undefined,
    presented: string,
    origin: RequestOrigin,
    csrf: { required: boolean; header: string | undefined },
    bearerUserId: string | null,
    now: number,
  ): Promise<typeof ROTATE | (IssuedTokens & { user: UserListItem; session: RefreshState['session'] })> {
    if (!state) throw errors.invalidRefreshToken(RefreshErrorReason.UNKNOWN);
    const { token, session, user } = state;
    if (bearerUserId !== null && bearerUserId !== user.id) throw errors.invalidRefreshToken(RefreshErrorReason.UNKNOWN);
    if (csrf.required && !csrfTokenMatches(options.csrfKey, csrf.header, session.csrfTokenHash)) {
      throw errors.forbidden('CSRF_TOKEN_INVALID', 'The X-CSRF-Token header is missing or wrong.');
    }
    if (session.revokedAt !== null || user.disabledAt !== null) throw errors.invalidRefreshToken(RefreshErrorReason.REVOKED);
    if (options.requireEmailVerification && user.emailVerifiedAt === null) throw errors.emailNotVerified();
    if (now >= session.maxExpiresAt.getTime()) throw errors.invalidRefreshToken(RefreshErrorReason.EXPIRED);

    if (token.rotatedAt !== null) {
      const replay = await replayWithinGrace(presented, state, now);
      if (replay) {
        return { ...issue(user.id, user.role, session.id, replay.token, replay.expiresAt, csrf.required ? csrf.header! : null, session.scopes), user, session };
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
    return ROTATE;
  }

  return {
    /** Starts a new session (a new refresh-token family) for a user who just proved who they are. */
    async start(user: User, origin: RequestOrigin, mode: { cookie: boolean }, auditType: 'LOGIN_SUCCEEDED' | 'SIGNUP' | 'OAUTH'): Promise<IssuedTokens> {
      const prepared = prepare(user.id, origin, mode, auditType === 'SIGNUP' ? 'signup' : auditType === 'OAUTH' ? 'oauth' : 'login');
      await sessions.create(prepared.session, prepared.refreshToken, prepared.audit);
      return prepared.issue(user.role);
    },

    /** A session for `userId` that the caller stores itself, in the transaction that proves who the user is. */
    prepareStart(userId: string, origin: RequestOrigin, mode: { cookie: boolean }, via: string): PreparedSession {
      return prepare(userId, origin, mode, via);
    },

    /**
     * Starts the session of an approved device (RFC 8628): a session like a login's, named by
     * its client and limited to the approved scopes, which every token of the family carries.
     */
    async startForDevice(
      user: Pick<User, 'id' | 'role'>,
      device: DeviceGrant,
      origin: RequestOrigin,
    ): Promise<IssuedTokens> {
      const prepared = prepare(user.id, origin, { cookie: false }, 'device', device);
      await sessions.create(prepared.session, prepared.refreshToken, prepared.audit);
      return prepared.issue(user.role);
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
    ): Promise<IssuedTokens & { user: UserListItem; session: RefreshState['session'] }> {
      if (!looksLikeRefreshToken(presented)) throw errors.invalidRefreshToken(RefreshErrorReason.UNKNOWN);
      const hash = hashRefreshToken(presented);
      // One round trip instead of two where storage offers it (PostgreSQL). Not for cookie
      // mode: the CSRF check stays here, constant-time, before anything is written.
      const fused = !csrf.required && sessions.findAndRotate !== undefined;
      for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
        const nonce = newRotationNonce();
        const successor = deriveSuccessor(options.refreshDerivationKey, presented, nonce);
        const successorId = timeOrderedId(clock.now());
        const successorHash = hashRefreshToken(successor);
        let state: RefreshState | undefined;
        let now: number;
        /** true: storage rotated already; false: storage tried and lost a race; null: not tried (the general path). */
        let rotatedAlready: boolean | null = null;
        if (fused && attempt === 0) {
          now = clock.now();
          ({ state, rotated: rotatedAlready } = await sessions.findAndRotate!(hash, {
            at: new Date(now),
            nonce,
            successor: { id: successorId, tokenHash: successorHash, uncappedExpiresAt: new Date(now + options.refreshTokenTtlMs) },
            onlyIf: { userId: bearerUserId, emailVerified: options.requireEmailVerification === true },
            audit: { type: AuditEventType.TOKEN_REFRESHED, ip: origin.ip, userAgent: origin.userAgent },
          }));
        } else {
          state = await sessions.findRefreshState(hash);
          now = clock.now();
        }
        let verdict: Awaited<ReturnType<typeof judge>>;
        try {
          verdict = await judge(state, presented, origin, csrf, bearerUserId, now);
        } catch (error) {
          if (rotatedAlready) throw rotatedButRefused(error);
          throw error;
        }
        if (verdict !== ROTATE) {
          if (rotatedAlready) throw rotatedButRefused(null);
          return verdict;
        }
        const { session, user } = state!;
        const expiresAt = new Date(Math.min(now + options.refreshTokenTtlMs, session.maxExpiresAt.getTime()));
        const rotated =
          rotatedAlready ??
          (await sessions.rotate({
            tokenId: state!.token.id,
            at: new Date(now),
            nonce,
            successor: { id: successorId, tokenHash: successorHash, createdAt: new Date(now), expiresAt },
            sessionId: session.id,
            sessionExpiresAt: expiresAt,
            audit: { type: AuditEventType.TOKEN_REFRESHED, userId: user.id, actorId: user.id, sessionId: session.id, ...origin },
          }));
        if (rotated) return { ...issue(user.id, user.role, session.id, successor, expiresAt, csrf.required ? csrf.header! : null, session.scopes), user, session };
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
      if (match[1]!.startsWith(API_TOKEN_PREFIX)) {
        return options.authenticateApiToken ? options.authenticateApiToken(match[1]!) : { viewer: null, authError: TokenErrorReason.TOKEN_INVALID };
      }
      const verified = await accessTokens.verifyWithKeyRefresh(match[1]!);
      if (!verified.ok) return { viewer: null, authError: verified.reason };
      const { claims } = verified;
      const now = clock.now();
      const state = await sessions.findViewerState(claims.sid, now);
      if (!state || state.userId !== claims.sub || !isLiveViewerState(state, now)) return { viewer: null, authError: TokenErrorReason.TOKEN_REVOKED };
      return {
        viewer: {
          userId: state.userId,
          sessionId: state.sessionId,
          apiTokenId: null,
          credential: 'session',
          role: state.role,
          scopes: effectiveScopes(state.role, state.scopes),
          user: state.user,
        },
        authError: null,
      };
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
