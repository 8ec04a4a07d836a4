import { allow, deny, rule, shield } from 'graphql-shield';
import { syncRule, type SyncRuleFunction } from './sync-rule';
import type { IRules } from 'graphql-shield';

type IRule = ReturnType<ReturnType<typeof rule>> | typeof allow;
import type { RequestContext } from '../context';
import { errors, ForbiddenReason, TokenErrorReason } from '../errors';
import type { Scope } from './scopes';

/**
 * The one place that decides who may see what. Deny by default: a field without an entry here
 * is refused to everyone, and test/permissions/permissions.test.ts fails when one is missing.
 * Rules read the viewer that src/context.ts established; resolvers do not check roles.
 *
 * Every field states two things: who may reach it (the role and ownership rule) and what it
 * asks of the caller's credential (a scope, a session, or nothing of its own). A session holds
 * every scope its role allows; an API token only those it was granted, within its owner's
 * current role (effectiveScopes). The shield rules and the SDL directives (@authenticated,
 * @requiresScopes, src/permissions/directives.ts) are both generated from this one table.
 */

const needsViewer = (ctx: RequestContext) => errors.unauthenticated(ctx.authError ?? TokenErrorReason.TOKEN_MISSING);

type Cache = 'contextual' | 'no_cache' | 'strict';
type AsyncRuleFunction = (parent: never, args: never, ctx: RequestContext) => Promise<boolean | Error>;

/** Who may reach a field: a shield rule function and whether it needs a signed-in caller (-> @authenticated). */
interface Access {
  readonly name: string;
  readonly needsViewer: boolean;
  readonly cache: Cache;
  readonly sync?: SyncRuleFunction;
  readonly async?: AsyncRuleFunction;
}

/** Anyone: the field's own arguments are the authority (login, refresh, a refresh token for logout). */
const anyone: Access = { name: 'anyone', needsViewer: false, cache: 'contextual' };

/** `me` answers null without a token, but a bad token is reported so the client knows to refresh. */
const noBadToken: Access = {
  name: 'noBadToken',
  needsViewer: false,
  cache: 'contextual',
  sync: (_parent, _args, ctx) => (ctx.authError ? errors.unauthenticated(ctx.authError) : true),
};

const isSignedIn: Access = { name: 'isSignedIn', needsViewer: true, cache: 'contextual', sync: (_parent, _args, ctx) => (ctx.viewer ? true : needsViewer(ctx)) };

const isAdmin: Access = {
  name: 'isAdmin',
  needsViewer: true,
  cache: 'contextual',
  sync: (_parent, _args, ctx) => {
    if (!ctx.viewer) return needsViewer(ctx);
    return ctx.viewer.role === 'ADMIN' ? true : errors.forbidden('ADMIN_ONLY', 'Only an ADMIN can do this.');
  },
};

/**
 * Private fields of a User: the user themself, an ADMIN, or whoever just proved to be that user.
 * No cache: shield's 'strict' cache hashes parent and args (object-hash) on every field, which
 * costs far more than these comparisons.
 */
const isSelfOrAdmin: Access = {
  name: 'isSelfOrAdmin',
  needsViewer: true,
  cache: 'no_cache',
  sync: (parent: { id: string }, _args, ctx) => {
    if (ctx.provenUsers.has(parent.id)) return true;
    if (!ctx.viewer) return needsViewer(ctx);
    if (ctx.viewer.userId === parent.id || ctx.viewer.role === 'ADMIN') return true;
    return errors.forbidden('NOT_OWNER', 'Only the user themself or an ADMIN can see this field.');
  },
};

/**
 * revokeSession: the owner of the session, or an ADMIN. A USER gets the same FORBIDDEN for an
 * unknown id as for another user's session, so session ids cannot be probed for existence.
 */
const canEndSession: Access = {
  name: 'canEndSession',
  needsViewer: true,
  cache: 'strict',
  async: async (_parent, args: { id: string }, ctx) => {
    if (!ctx.viewer) return needsViewer(ctx);
    if (ctx.viewer.role === 'ADMIN') return true;
    const owner = await ctx.services.sessions.ownerOf(args.id);
    return owner === ctx.viewer.userId ? true : errors.forbidden('NOT_OWNER', 'Only the owner of a session or an ADMIN can end it.');
  },
};

/** revokeApiToken: the owner or an ADMIN; an unknown id is FORBIDDEN to a USER, as for sessions. */
const canRevokeApiToken: Access = {
  name: 'canRevokeApiToken',
  needsViewer: true,
  cache: 'strict',
  async: async (_parent, args: { id: string }, ctx) => {
    if (!ctx.viewer) return needsViewer(ctx);
    if (ctx.viewer.role === 'ADMIN') return true;
    const owner = await ctx.services.apiTokens.ownerOf(args.id);
    return owner === ctx.viewer.userId ? true : errors.forbidden('NOT_OWNER', 'Only the owner of an API token or an ADMIN can revoke it.');
  },
};

/** startOAuthLogin is public, but an attempt bound to an account (link: true) needs that account signed in. */
const linkNeedsViewer: Access = {
  name: 'linkNeedsViewer',
  needsViewer: false,
  cache: 'no_cache',
  sync: (_parent, args: { link?: boolean | null }, ctx) => (args.link && !ctx.viewer ? needsViewer(ctx) : true),
};

/** A field that needs a signed-in session: an API token (which can be scripted and leaked) is refused. */
export const SESSION = 'SESSION' as const;
/** What a field asks of the credential: a scope, a session, or nothing of its own (null). */
export type CredentialRequirement = Scope | typeof SESSION | null;

export interface FieldPolicy {
  readonly access: Access;
  readonly requires: CredentialRequirement;
}

/** A whole type reached only through fields that are guarded: it adds no rule of its own. */
export interface TypePolicy {
  readonly wholeType: true;
  readonly reachedThrough: string;
}

const field = (access: Access, requires: CredentialRequirement): FieldPolicy => ({ access, requires });
const reachedThrough = (parents: string): TypePolicy => ({ wholeType: true, reachedThrough: parents });

export const policyTable = {
  Query: {
    me: field(noBadToken, 'read:profile'),
    user: field(isSignedIn, 'read:profile'),
    users: field(isAdmin, 'read:users'),
    auditEvents: field(isAdmin, 'read:audit'),
    // Any signed person may look up a code (wrong codes are rate-limited in src/abuse); a session
    // only: a leaked API token must not be able to hand a device a session.
    deviceRequest: field(isSignedIn, SESSION),
    authProviders: field(anyone, null),
  },
  Mutation: {
    signup: field(anyone, null),
    login: field(anyone, null),
    refresh: field(anyone, null),
    // Possession of the refresh token (or the bearer's own session) is the authority here; an
    // API token bearer needs write:sessions.
    logout: field(anyone, 'write:sessions'),
    logoutAll: field(isSignedIn, SESSION),
    setUserRole: field(isAdmin, 'write:users'),
    setUserDisabled: field(isAdmin, 'write:users'),
    revokeSession: field(canEndSession, 'write:sessions'),
    changePassword: field(isSignedIn, SESSION),
    // A token that could mint tokens would outlive its own revocation: only a session creates one.
    createApiToken: field(isSignedIn, SESSION),
    // API tokens are credentials like sessions: ending one is write:sessions (a script may revoke itself).
    revokeApiToken: field(canRevokeApiToken, 'write:sessions'),
    approveDevice: field(isSignedIn, SESSION),
    denyDevice: field(isSignedIn, SESSION),
    requestEmailVerification: field(isSignedIn, SESSION),
    // The mailed token (or a code with its address) is the authority for these.
    verifyEmail: field(anyone, null),
    requestPasswordReset: field(anyone, null),
    resetPassword: field(anyone, null),
    requestMagicLink: field(anyone, null),
    loginWithMagicLink: field(anyone, null),
    changeEmail: field(isSignedIn, SESSION),
    startOAuthLogin: field(linkNeedsViewer, null),
    // Possession of the state and the provider's code is the authority, as the password is for login.
    completeOAuthLogin: field(anyone, null),
    // Adding or removing a way to sign in is an account change: a session, never an API token.
    linkIdentity: field(isSignedIn, SESSION),
    unlinkIdentity: field(isSignedIn, SESSION),
  },
  User: {
    id: field(anyone, null),
    displayName: field(anyone, null),
    createdAt: field(anyone, null),
    email: field(isSelfOrAdmin, 'read:profile'),
    role: field(isSelfOrAdmin, 'read:profile'),
    disabled: field(isSelfOrAdmin, 'read:profile'),
    emailVerified: field(isSelfOrAdmin, 'read:profile'),
    sessions: field(isSelfOrAdmin, 'read:sessions'),
    auditEvents: field(isSelfOrAdmin, 'read:audit'),
    apiTokens: field(isSelfOrAdmin, 'read:sessions'),
    identities: field(isSelfOrAdmin, 'read:profile'),
  },
  Session: reachedThrough('User.sessions'),
  AuthProvider: reachedThrough('Query.authProviders'),
  OAuthAuthorization: reachedThrough('Mutation.startOAuthLogin'),
  Identity: reachedThrough('User.identities, Mutation.linkIdentity'),
  DeviceRequest: reachedThrough('Query.deviceRequest'),
  ApiToken: reachedThrough('User.apiTokens, NewApiToken.apiToken'),
  NewApiToken: reachedThrough('Mutation.createApiToken'),
  AuthPayload: reachedThrough('Mutation.signup, login, refresh'),
  UserConnection: reachedThrough('Query.users'),
  UserEdge: reachedThrough('Query.users'),
  PageInfo: reachedThrough('Query.users, Query.auditEvents'),
  AuditEventConnection: reachedThrough('Query.auditEvents'),
  AuditEventEdge: reachedThrough('Query.auditEvents'),
  AuditEvent: reachedThrough('Query.auditEvents, User.auditEvents'),
} satisfies Record<string, Record<string, FieldPolicy> | TypePolicy>;

export function isTypePolicy(entry: unknown): entry is TypePolicy {
  return typeof entry === 'object' && entry !== null && (entry as TypePolicy).wholeType === true;
}

/**
 * The credential check after the access rule said yes: an API token without the field's scope
 * is INSUFFICIENT_SCOPE, one on a session-only field SESSION_REQUIRED. Without a viewer the
 * access rule has already decided (a public field, or the user just proved who they are).
 */
function credentialVerdict(requires: CredentialRequirement, parent: unknown, ctx: RequestContext): true | Error {
  const viewer = ctx.viewer;
  if (requires === null || !viewer) return true;
  // The AuthPayload of a login: the caller proved to be this user in this very request.
  const id = (parent as { id?: unknown } | null | undefined)?.id;
  if (typeof id === 'string' && ctx.provenUsers.has(id)) return true;
  if (requires === SESSION) {
    return viewer.credential === 'session' ? true : errors.forbidden(ForbiddenReason.SESSION_REQUIRED, 'This needs a signed-in session, not an API token.');
  }
  return viewer.scopes.has(requires) ? true : errors.forbidden(ForbiddenReason.INSUFFICIENT_SCOPE, `This needs the scope ${requires}.`);
}

/** The shield rule of one field: its access rule, then its credential requirement; synchronous where the access rule is. */
function ruleOf(policy: FieldPolicy): IRule {
  const { access, requires } = policy;
  if (access === anyone && requires === null) return allow;
  if (access.async) {
    const decide = access.async;
    return rule({ cache: access.cache })(async (parent, args, ctx: RequestContext) => {
      const verdict = await decide(parent as never, args as never, ctx);
      return verdict === true ? credentialVerdict(requires, parent, ctx) : verdict;
    });
  }
  const decide = access.sync ?? (() => true);
  return syncRule({ cache: access.cache })((parent, args, ctx, info) => {
    const verdict = decide(parent, args, ctx, info);
    return verdict === true ? credentialVerdict(requires, parent, ctx) : verdict;
  });
}

function buildRules(): IRules {
  const rules: Record<string, IRule | Record<string, IRule>> = {};
  for (const [typeName, entry] of Object.entries(policyTable)) {
    if (isTypePolicy(entry)) {
      rules[typeName] = allow;
      continue;
    }
    rules[typeName] = Object.fromEntries(Object.entries(entry as Record<string, FieldPolicy>).map(([name, policy]) => [name, ruleOf(policy)]));
  }
  return rules as IRules;
}

/** The shield rule tree generated from policyTable (built once: rules carry shield's per-request caches by identity). */
export const permissionRules = buildRules();

/** What a field gets when its rule says no without saying why, or when it has no rule. */
export const denied = () => errors.forbidden('NO_RULE', 'You are not allowed to do this.');

export function createPermissions() {
  return shield(permissionRules, {
    fallbackRule: deny,
    // Let resolvers' own typed errors through instead of "Not Authorised!"; formatError still
    // masks anything that is not one of ours.
    allowExternalErrors: true,
    fallbackError: denied,
  });
}
