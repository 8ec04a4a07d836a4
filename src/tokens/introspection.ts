import type { RequestOrigin } from '../audit/audit-event';
import type { Clock } from '../clock';
import { effectiveScopes, formatScopeList } from '../permissions/scopes';
import type { SessionService } from '../sessions/session.service';
import { isLiveViewerState, type SessionRepository } from '../storage/sessions';
import type { AccessTokenService } from './access-token';
import { API_TOKEN_PREFIX } from './api-token';
import type { ApiTokenService } from './api-token.service';
import { looksLikeRefreshToken } from './refresh-token';

/** RFC 7662 §2.2: what is said about a live token. Anything dead or unknown is only `{active: false}`. */
export type Introspection =
  | { active: false }
  | { active: true; sub: string; scope: string; exp?: number; iat: number; token_type: 'Bearer' | 'refresh_token'; iss: string };

const INACTIVE: Introspection = { active: false };
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export interface TokenIntrospectionDeps {
  accessTokens: AccessTokenService;
  sessionRepository: Pick<SessionRepository, 'findViewerState'>;
  sessions: Pick<SessionService, 'sessionOfRefreshToken' | 'end'>;
  apiTokens: Pick<ApiTokenService, 'liveState' | 'revokeByToken'>;
  clock: Clock;
  issuer: string;
}

/**
 * What /oauth/introspect and /oauth/revoke do with a token of any of our three kinds, told apart
 * by shape (`kcp_` API token, `kcr_` refresh token, a JWT access token), so a
 * `token_type_hint` is never needed (RFC 7662 §2.1, RFC 7009 §2.1 let the server ignore it).
 * The scope reported is what the token may do now: its grant within its owner's current role.
 */
export function createTokenIntrospection(deps: TokenIntrospectionDeps) {
  const { accessTokens, sessionRepository, sessions, apiTokens, clock, issuer } = deps;

  async function introspectAccessToken(token: string): Promise<Introspection> {
    const verified = accessTokens.verify(token);
    if (!verified.ok) return INACTIVE;
    const { claims } = verified;
    const now = clock.now();
    const state = await sessionRepository.findViewerState(claims.sid, now);
    if (!state || state.userId !== claims.sub || !isLiveViewerState(state, now)) return INACTIVE;
    return { active: true, sub: claims.sub, scope: formatScopeList(effectiveScopes(state.role, state.scopes)), exp: claims.exp, iat: claims.iat, token_type: 'Bearer', iss: issuer };
  }

  async function introspectRefreshToken(token: string): Promise<Introspection> {
    const state = await sessions.sessionOfRefreshToken(token);
    if (!state) return INACTIVE;
    const now = clock.now();
    const { token: stored, session, user } = state;
    const live =
      stored.rotatedAt === null &&
      stored.expiresAt.getTime() > now &&
      session.revokedAt === null &&
      session.expiresAt.getTime() > now &&
      session.maxExpiresAt.getTime() > now &&
      user.disabledAt === null;
    if (!live) return INACTIVE;
    const exp = Math.min(stored.expiresAt.getTime(), session.maxExpiresAt.getTime());
    return {
      active: true,
      sub: user.id,
      scope: formatScopeList(effectiveScopes(user.role, session.scopes)),
      exp: Math.floor(exp / 1000),
      iat: seconds(stored.createdAt),
      token_type: 'refresh_token',
      iss: issuer,
    };
  }

  return {
    async introspect(token: string): Promise<Introspection> {
      if (token.startsWith(API_TOKEN_PREFIX)) {
        const state = await apiTokens.liveState(token);
        if (!state) return INACTIVE;
        return {
          active: true,
          sub: state.userId,
          scope: formatScopeList(effectiveScopes(state.role, state.scopes)),
          ...(state.expiresAt ? { exp: seconds(state.expiresAt) } : {}),
          iat: seconds(state.createdAt),
          token_type: 'Bearer',
          iss: issuer,
        };
      }
      if (looksLikeRefreshToken(token)) return introspectRefreshToken(token);
      return introspectAccessToken(token);
    },

    /**
     * RFC 7009: a refresh token ends its session (and so every access token of it, §2.1: "SHOULD
     * also invalidate the access token"); an API token is revoked. Anything else, unknown or
     * already dead, changes nothing: the endpoint answers 200 all the same (§2.2).
     */
    async revoke(token: string, origin: RequestOrigin): Promise<void> {
      if (token.startsWith(API_TOKEN_PREFIX)) {
        await apiTokens.revokeByToken(token, origin);
        return;
      }
      if (!looksLikeRefreshToken(token)) return;
      const state = await sessions.sessionOfRefreshToken(token);
      if (!state || state.session.revokedAt !== null) return;
      await sessions.end(state.session.id, state.user.id, 'LOGOUT', origin, state.user.id);
    },
  };
}

export type TokenIntrospection = ReturnType<typeof createTokenIntrospection>;
