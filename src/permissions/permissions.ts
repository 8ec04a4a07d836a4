import { allow, deny, rule, shield } from 'graphql-shield';
import { syncRule } from './sync-rule';
import type { IRules } from 'graphql-shield';
import type { RequestContext } from '../context';
import { errors, TokenErrorReason } from '../errors';

/**
 * The one place that decides who may see what. Deny by default: a field without an entry here
 * is refused to everyone, and test/permissions/permissions.test.ts fails when one is missing.
 * Rules read the viewer that src/context.ts established; resolvers do not check roles.
 */

const needsViewer = (ctx: RequestContext) => errors.unauthenticated(ctx.authError ?? TokenErrorReason.TOKEN_MISSING);

/** `me` answers null without a token, but a bad token is reported so the client knows to refresh. */
const noBadToken = syncRule({ cache: 'contextual' })((_parent, _args, ctx: RequestContext) =>
  ctx.authError ? errors.unauthenticated(ctx.authError) : true,
);

const isSignedIn = syncRule({ cache: 'contextual' })((_parent, _args, ctx: RequestContext) => (ctx.viewer ? true : needsViewer(ctx)));

const isAdmin = syncRule({ cache: 'contextual' })((_parent, _args, ctx: RequestContext) => {
  if (!ctx.viewer) return needsViewer(ctx);
  return ctx.viewer.role === 'ADMIN' ? true : errors.forbidden('ADMIN_ONLY', 'Only an ADMIN can do this.');
});

/**
 * Private fields of a User: the user themself, an ADMIN, or whoever just proved to be that user.
 * No cache: shield's 'strict' cache hashes parent and args (object-hash) on every field, which
 * costs far more than these comparisons.
 */
const isSelfOrAdmin = syncRule({ cache: 'no_cache' })((parent: { id: string }, _args, ctx: RequestContext) => {
  if (ctx.provenUsers.has(parent.id)) return true;
  if (!ctx.viewer) return needsViewer(ctx);
  if (ctx.viewer.userId === parent.id || ctx.viewer.role === 'ADMIN') return true;
  return errors.forbidden('NOT_OWNER', "Only the user themself or an ADMIN can see this field.");
});

/**
 * revokeSession: the owner of the session, or an ADMIN. A USER gets the same FORBIDDEN for an
 * unknown id as for another user's session, so session ids cannot be probed for existence.
 */
const canEndSession = rule({ cache: 'strict' })(async (_parent, args: { id: string }, ctx: RequestContext) => {
  if (!ctx.viewer) return needsViewer(ctx);
  if (ctx.viewer.role === 'ADMIN') return true;
  const owner = await ctx.services.sessions.ownerOf(args.id);
  return owner === ctx.viewer.userId ? true : errors.forbidden('NOT_OWNER', 'Only the owner of a session or an ADMIN can end it.');
});

/** startOAuthLogin is public, but an attempt bound to an account (link: true) needs that account signed in. */
const linkNeedsViewer = syncRule({ cache: 'no_cache' })((_parent, args: { link?: boolean | null }, ctx: RequestContext) =>
  args.link && !ctx.viewer ? needsViewer(ctx) : true,
);

export const permissionRules = {
  Query: {
    me: noBadToken,
    user: isSignedIn,
    users: isAdmin,
    auditEvents: isAdmin,
    authProviders: allow,
  },
  Mutation: {
    signup: allow,
    login: allow,
    refresh: allow,
    // Possession of the refresh token (or the bearer's own session) is the authority here.
    logout: allow,
    logoutAll: isSignedIn,
    setUserRole: isAdmin,
    setUserDisabled: isAdmin,
    revokeSession: canEndSession,
    changePassword: isSignedIn,
    startOAuthLogin: linkNeedsViewer,
    // Possession of the state and the provider's code is the authority, as the password is for login.
    completeOAuthLogin: allow,
    linkIdentity: isSignedIn,
    unlinkIdentity: isSignedIn,
  },
  User: {
    id: allow,
    displayName: allow,
    createdAt: allow,
    email: isSelfOrAdmin,
    role: isSelfOrAdmin,
    disabled: isSelfOrAdmin,
    emailVerified: isSelfOrAdmin,
    sessions: isSelfOrAdmin,
    auditEvents: isSelfOrAdmin,
    identities: isSelfOrAdmin,
  },
  AuthProvider: allow,
  OAuthAuthorization: allow,
  // Reached through linkIdentity (signed in) and User.identities (self or ADMIN).
  Identity: allow,
  // Reached only through User.sessions, which is guarded.
  Session: allow,
  AuthPayload: allow,
  UserConnection: allow,
  UserEdge: allow,
  PageInfo: allow,
  // Reached only through Query.auditEvents (ADMIN) and User.auditEvents (self or ADMIN).
  AuditEventConnection: allow,
  AuditEventEdge: allow,
  AuditEvent: allow,
} satisfies IRules;

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
