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

const ROLE_SCOPE_SETS: Readonly<Record<Role, ReadonlySet<Scope>>> = {
  USER: new Set(scopesForRole('USER')),
  ADMIN: new Set(scopesForRole('ADMIN')),
};

/**
 * What a credential may do now: the scopes it was granted (null: a login session, granted all
 * its role allows) cut down to what the owner's *current* role allows, so a demotion narrows
 * every token and session of the user on the next request, whatever was granted before.
 */
export function effectiveScopes(role: Role, granted: readonly Scope[] | null | undefined): ReadonlySet<Scope> {
  const allowed = ROLE_SCOPE_SETS[role];
  if (granted === null || granted === undefined) return allowed;
  return new Set(granted.filter((scope) => allowed.has(scope)));
}

/** The `scope` claim or parameter (RFC 6749 §3.3): space-separated, in the closed list's order. */
export function formatScopeList(scopes: Iterable<Scope>): string {
  const set = new Set(scopes);
  return SCOPES.filter((scope) => set.has(scope)).join(' ');
}
