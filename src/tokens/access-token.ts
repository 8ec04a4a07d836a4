import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../clock';
import { TokenErrorReason } from '../errors';
import type { KeySet } from '../keys/key-set';
import { formatScopeList, scopesForRole, type Scope } from '../permissions/scopes';
import { createVerifiedTokenCache } from './verified-token-cache';

export type Role = 'USER' | 'ADMIN';
export const ROLES: readonly Role[] = ['USER', 'ADMIN'];

/** RFC 9068 §2.1: access tokens say what they are, so a token of another kind is refused. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
const ACCEPTED_TYPES = new Set(['at+jwt', 'application/at+jwt']);
/** A real token is well under 1 KB; anything far larger is refused before parsing (security.md #7). */
const MAX_TOKEN_LENGTH = 4096;
/** Headers that would let a token name its own key (RFC 8725 §3.10, CVE-2018-0114 style attacks). */
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit'];

export interface AccessClaims {
  sub: string;
  sid: string;
  role: Role;
  jti: string;
  iat: number;
  exp: number;
  /**
   * What the token may do, space-separated (RFC 9068 §2.2.3, RFC 8693 §4.2): for a login session
   * every scope its role allows; for a session granted fewer (a device), those. Informative for
   * other resource servers and introspection: this server decides from the live session and the
   * current role (effectiveScopes), so a promotion or demotion needs no new token.
   */
  scope?: string;
  /** The key that signed it (header, not payload). */
  kid?: string;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: TokenErrorReason };

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
  claims: AccessClaims;
}

export interface AccessTokenService {
  /** `scopes`: the session's granted scopes; null or absent: all its role allows. */
  issue(subject: { userId: string; sessionId: string; role: Role; scopes?: readonly Scope[] | null }): IssuedAccessToken;
  verify(token: string): VerifyResult;
  /**
   * verify, and when the token names a kid this instance does not know, one reload of the key
   * set (rate-limited: KeySet.reloadForUnknownKid) and a second try. A key that another instance
   * activated at once is accepted here before the next KEYS_RELOAD_INTERVAL.
   */
  verifyWithKeyRefresh(token: string): Promise<VerifyResult>;
}

export interface AccessTokenOptions {
  keySet: KeySet;
  clock: Clock;
  issuer: string;
  audience: string;
  ttlMs: number;
  clockToleranceMs: number;
  /** How many verified tokens to remember (0 turns the cache off). */
  verifiedCacheSize?: number;
}

const invalid: VerifyResult = { ok: false, reason: TokenErrorReason.TOKEN_INVALID };
/** The same answer as `invalid`; a distinct object so verifyWithKeyRefresh knows the kid was unknown. */
const unknownKid: VerifyResult = { ok: false, reason: TokenErrorReason.TOKEN_INVALID };

function decodeHeader(segment: string): Record<string, unknown> | null {
  try {
    const header: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return header !== null && typeof header === 'object' && !Array.isArray(header) ? (header as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function createAccessTokenService(options: AccessTokenOptions): AccessTokenService {
  const { keySet, clock, issuer, audience } = options;
  const ttlSeconds = Math.floor(options.ttlMs / 1000);
  const toleranceSeconds = Math.floor(options.clockToleranceMs / 1000);
  const cacheSize = options.verifiedCacheSize ?? 10_000;
  const verified = cacheSize > 0 ? createVerifiedTokenCache(cacheSize) : null;

  const service: AccessTokenService = {
    issue({ userId, sessionId, role, scopes }) {
      const key = keySet.signingKey();
      const iat = Math.floor(clock.now() / 1000);
      const scope = formatScopeList(scopes ?? scopesForRole(role));
      const claims: AccessClaims = { sub: userId, sid: sessionId, role, scope, jti: crypto.randomUUID(), iat, exp: iat + ttlSeconds };
      const token = jwt.sign({ iss: issuer, aud: audience, ...claims }, key.privateKey, {
        algorithm: key.alg,
        header: { alg: key.alg, typ: ACCESS_TOKEN_TYPE, kid: key.kid },
      });
      return { token, expiresAt: new Date(claims.exp * 1000), claims };
    },

    verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) return invalid;
      const nowSeconds = Math.floor(clock.now() / 1000);
      const cached = verified?.get(token, nowSeconds, toleranceSeconds);
      // A key taken out of the set (retired or withdrawn) ends its cached tokens at once.
      if (cached && keySet.find(cached.kid)) return { ok: true, claims: cached };
      const segments = token.split('.');
      if (segments.length !== 3 || !segments[2]) return invalid;
      const header = decodeHeader(segments[0]!);
      if (!header) return invalid;
      if (typeof header.typ !== 'string' || !ACCEPTED_TYPES.has(header.typ.toLowerCase())) return invalid;
      if (FORBIDDEN_HEADERS.some((name) => name in header)) return invalid;
      if (typeof header.kid !== 'string') return invalid;
      const key = keySet.find(header.kid);
      if (!key) return unknownKid;
      if (header.alg !== key.alg) return invalid;

      let payload: jwt.JwtPayload | string;
      try {
        payload = jwt.verify(token, key.publicKey, {
          algorithms: [key.alg],
          issuer,
          audience,
          clockTolerance: toleranceSeconds,
          clockTimestamp: nowSeconds,
        });
      } catch (error) {
        if (error instanceof jwt.TokenExpiredError) return { ok: false, reason: TokenErrorReason.TOKEN_EXPIRED };
        return invalid;
      }
      if (typeof payload !== 'object') return invalid;
      const { sub, sid, role, jti, iat, exp, scope } = payload as Record<string, unknown>;
      // jsonwebtoken accepts a token without exp: a token that never expires is refused here.
      if (typeof exp !== 'number' || typeof iat !== 'number') return invalid;
      if (exp - iat > ttlSeconds || iat > nowSeconds + toleranceSeconds) return invalid;
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return invalid;
      if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return invalid;
      if (scope !== undefined && typeof scope !== 'string') return invalid;
      const claims: AccessClaims & { kid: string } = { sub, sid, role: role as Role, jti, iat, exp, kid: key.kid, ...(scope === undefined ? {} : { scope }) };
      verified?.set(token, claims);
      return { ok: true, claims };
    },

    async verifyWithKeyRefresh(token) {
      const result = service.verify(token);
      if (result !== unknownKid || !(await keySet.reloadForUnknownKid())) return result;
      return service.verify(token);
    },
  };
  return service;
}
