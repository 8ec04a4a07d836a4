import type { AccessClaims } from './access-token';

/**
 * Remembers tokens whose signature and claims were already verified, so a client sending the
 * same token on every request pays for one ES256 verification, not one per request. An entry
 * is never used past its `exp` (checked on every hit against the injected clock); revocation
 * is unaffected, because the session is checked on every request after this cache.
 * Bounded: the oldest entry goes first (Map keeps insertion order).
 */
export function createVerifiedTokenCache(maxEntries: number) {
  const entries = new Map<string, AccessClaims & { kid: string }>();
  return {
    get(token: string, nowSeconds: number, toleranceSeconds: number): (AccessClaims & { kid: string }) | undefined {
      const claims = entries.get(token);
      if (!claims) return undefined;
      if (claims.exp + toleranceSeconds <= nowSeconds) {
        entries.delete(token);
        return undefined;
      }
      return claims;
    },
    set(token: string, claims: AccessClaims & { kid: string }): void {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(token, claims);
    },
    get size() {
      return entries.size;
    },
  };
}
