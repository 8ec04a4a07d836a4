import type { Role } from '../tokens/access-token';

/**
 * The closed list of scopes (contract.md, "API tokens, scopes, introspection"). A token can do
 * what its scopes name and its owner's current role allows: the scope narrows, the role bounds.
 */
export const SCOPES = ['read:profile', 'read:sessions', 'write:sessions', 'read:users', 'write:users', 'read:audit', 'introspect'] as const;

export type Scope = (typeof SCOPES)[number];

const SCOPE_SET: ReadonlySet<string> = new Set(SCOPES);

/** Every USER may read their own profile, sessions and audit events and end their own sessions. */
const USER_SCOPES: readonly Scope[] = ['read:profile', 'read:sessions', 'write:sessions', 'read:audit'];

/** What a role allows; a session (no narrower grant) holds all of it. */
export function scopesForRole(role: Role): readonly Scope[] {
  return role === 'ADMIN' ? SCOPES : USER_SCOPES;
}

export function isScope(value: string): value is Scope {
  return SCOPE_SET.has(value);
}

/**
 * A space-separated `scope` parameter or claim (RFC 6749 §3.3) as a sorted list without
 * duplicates; null when any entry is not in the closed list.
 */
export function parseScopeList(text: string): Scope[] | null {
  const entries = text.split(' ').filter((entry) => entry !== '');
  if (!entries.every(isScope)) return null;
  return [...new Set(entries)].sort((a, b) => SCOPES.indexOf(a) - SCOPES.indexOf(b));
}
