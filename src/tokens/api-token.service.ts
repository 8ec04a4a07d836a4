import crypto from 'node:crypto';
import { AuditEventType, type RequestOrigin } from '../audit/audit-event';
import type { Clock } from '../clock';
import { errors, ForbiddenReason, TokenErrorReason } from '../errors';
import { effectiveScopes, isScope, scopesForRole, SCOPES, type Scope } from '../permissions/scopes';
import type { Authentication } from '../sessions/session.service';
import { ApiTokenLimitError, isLiveApiTokenState, type ApiToken, type ApiTokenRepository, type ApiTokenViewerState } from '../storage/api-tokens';
import type { Role } from './access-token';
import { apiTokenDisplayPrefix, hashApiToken, looksLikeApiToken, mintApiToken, parseExpiresIn } from './api-token';

/** Live tokens one user may hold (GitHub allows far more; a person or a service needs a handful). */
export const DEFAULT_API_TOKEN_LIMIT = 50;
/** lastUsedAt is written at most this often per token: it is for people reading a list, not an access log. */
export const LAST_USED_INTERVAL_MS = 60_000;
const MAX_NAME_LENGTH = 100;
/** Tokens whose last write this process remembers; beyond this the oldest is forgotten (one extra conditional UPDATE, never a wrong answer). */
const TOUCH_MEMORY = 10_000;

export interface ApiTokenServiceOptions {
  apiTokens: ApiTokenRepository;
  clock: Clock;
  /** @default DEFAULT_API_TOKEN_LIMIT */
  limitPerUser?: number;
}

export interface CreateApiTokenInput {
  name: string;
  scopes: readonly string[];
  expiresIn?: string | null;
}

/** The owner the token is for, and who asks (the owner in GraphQL, null for the operator CLI). */
export interface ApiTokenOwner {
  id: string;
  role: Role;
}

export function createApiTokenService(options: ApiTokenServiceOptions) {
  const { apiTokens, clock } = options;
  const limit = options.limitPerUser ?? DEFAULT_API_TOKEN_LIMIT;
  const lastTouched = new Map<string, number>();

  /**
   * lastUsedAt without a write per request: this process writes a token at most once a
   * minute (the map), and the UPDATE itself only matches when the stored value is older than a
   * minute, so many instances serving one token write about once a minute between them.
   */
  async function noteUse(state: ApiTokenViewerState, now: number): Promise<void> {
    const last = lastTouched.get(state.tokenId);
    if (last !== undefined && now - last < LAST_USED_INTERVAL_MS) return;
    if (last === undefined && state.lastUsedAt !== null && now - state.lastUsedAt.getTime() < LAST_USED_INTERVAL_MS) {
      lastTouched.set(state.tokenId, state.lastUsedAt.getTime());
      return;
    }
    lastTouched.delete(state.tokenId);
    if (lastTouched.size >= TOUCH_MEMORY) lastTouched.delete(lastTouched.keys().next().value!);
    lastTouched.set(state.tokenId, now);
    await apiTokens.touchLastUsed(state.tokenId, new Date(now), new Date(now - LAST_USED_INTERVAL_MS));
  }

  function parseScopes(requested: readonly string[], role: Role): Scope[] {
    if (requested.length === 0) throw errors.badUserInput('scopes', 'Name at least one scope.');
    const unknown = requested.filter((scope) => !isScope(scope));
    if (unknown.length > 0) throw errors.badUserInput('scopes', `Unknown scope: ${unknown.join(', ').slice(0, 200)}. Known: ${SCOPES.join(', ')}.`);
    const allowed = new Set(scopesForRole(role));
    const beyond = (requested as Scope[]).filter((scope) => !allowed.has(scope));
    // Refused at creation rather than silently dropped: a token that looks broader than it is would mislead its owner.
    if (beyond.length > 0) throw errors.badUserInput('scopes', `Your role does not allow: ${beyond.join(', ')}.`);
    return SCOPES.filter((scope) => requested.includes(scope));
  }

  return {
    limitPerUser: limit,

    /** Mints a token for `owner`; the token is returned once, only its hash is kept. */
    async create(owner: ApiTokenOwner, input: CreateApiTokenInput, origin: RequestOrigin, actorId: string | null): Promise<{ token: string; apiToken: ApiToken }> {
      const name = input.name.trim();
      if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw errors.badUserInput('name', `A name of 1 to ${MAX_NAME_LENGTH} characters.`);
      const scopes = parseScopes(input.scopes, owner.role);
      let lifetimeMs: number | null = null;
      if (input.expiresIn !== undefined && input.expiresIn !== null) {
        lifetimeMs = parseExpiresIn(input.expiresIn);
        if (lifetimeMs === null) throw errors.badUserInput('expiresIn', 'A duration such as "90d", "12h", "30m" or "45s", at most 3650 days.');
      }
      const now = clock.now();
      const token = mintApiToken();
      const apiToken: ApiToken = {
        id: crypto.randomUUID(),
        userId: owner.id,
        name,
        scopes,
        tokenHash: hashApiToken(token),
        prefix: apiTokenDisplayPrefix(token),
        createdAt: new Date(now),
        lastUsedAt: null,
        expiresAt: lifetimeMs === null ? null : new Date(now + lifetimeMs),
        revokedAt: null,
      };
      try {
        await apiTokens.create(apiToken, limit, new Date(now), {
          type: AuditEventType.API_TOKEN_CREATED,
          userId: owner.id,
          actorId,
          ...origin,
          detail: { apiTokenId: apiToken.id, name, scopes, expiresAt: apiToken.expiresAt?.toISOString() ?? null },
        });
      } catch (error) {
        if (error instanceof ApiTokenLimitError) {
          throw errors.forbidden(ForbiddenReason.API_TOKEN_LIMIT, `A user holds at most ${limit} live API tokens: revoke one first.`);
        }
        throw error;
      }
      return { token, apiToken };
    },

    /** Who owns a token, for the ownership rule of revokeApiToken; null for an unknown id. */
    async ownerOf(id: string): Promise<string | null> {
      return (await apiTokens.findById(id))?.userId ?? null;
    },

    /** Revokes one token by id (the owner or an ADMIN: graphql-shield decided). False if it was already revoked. */
    async revoke(id: string, actorId: string | null, origin: RequestOrigin): Promise<boolean> {
      const token = await apiTokens.findById(id);
      if (!token) throw errors.notFound('API token');
      return apiTokens.revoke(id, new Date(clock.now()), {
        type: AuditEventType.API_TOKEN_REVOKED,
        userId: token.userId,
        actorId,
        ...origin,
        detail: { apiTokenId: id },
      });
    },

    /** RFC 7009: revoke by the token itself; false when it is not a live token of ours (the endpoint answers 200 either way). */
    async revokeByToken(token: string, origin: RequestOrigin): Promise<boolean> {
      if (!looksLikeApiToken(token)) return false;
      const found = await apiTokens.findByHash(hashApiToken(token));
      if (!found || found.revokedAt !== null) return false;
      return apiTokens.revoke(found.id, new Date(clock.now()), {
        type: AuditEventType.API_TOKEN_REVOKED,
        userId: found.userId,
        actorId: null,
        ...origin,
        detail: { apiTokenId: found.id, via: 'oauth_revoke' },
      });
    },

    async listLive(userId: string): Promise<ApiToken[]> {
      return apiTokens.listLiveForUser(userId, new Date(clock.now()));
    },

    /** The live state of a token (introspection): undefined when unknown, revoked, expired or its owner disabled. */
    async liveState(token: string): Promise<ApiTokenViewerState | undefined> {
      if (!looksLikeApiToken(token)) return undefined;
      const now = clock.now();
      const state = await apiTokens.findViewerState(hashApiToken(token), now);
      return state && isLiveApiTokenState(state, now) ? state : undefined;
    },

    /**
     * A bearer that is an API token, as a viewer: one cached read (invalidated by every
     * revocation, disable and role change, here or on another instance), then the scopes it was
     * granted within what its owner's current role allows. Never throws.
     */
    async authenticate(token: string): Promise<Authentication> {
      if (!looksLikeApiToken(token)) return { viewer: null, authError: TokenErrorReason.TOKEN_INVALID };
      const now = clock.now();
      const state = await apiTokens.findViewerState(hashApiToken(token), now);
      if (!state) return { viewer: null, authError: TokenErrorReason.TOKEN_INVALID };
      if (state.revokedAt !== null || state.disabledAt !== null) return { viewer: null, authError: TokenErrorReason.TOKEN_REVOKED };
      if (state.expiresAt !== null && state.expiresAt.getTime() <= now) return { viewer: null, authError: TokenErrorReason.TOKEN_EXPIRED };
      await noteUse(state, now);
      return {
        viewer: {
          userId: state.userId,
          sessionId: null,
          apiTokenId: state.tokenId,
          credential: 'apiToken',
          role: state.role,
          scopes: effectiveScopes(state.role, state.scopes),
          user: state.user,
        },
        authError: null,
      };
    },
  };
}

export type ApiTokenService = ReturnType<typeof createApiTokenService>;
