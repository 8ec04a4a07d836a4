import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import { toConnection } from '../connection';
import { encodeCursor, parseAfterCursor } from '../cursor';
import { parsePageSize } from '../page-size';
import { ApiToken, toApiToken } from '../types/api-token.type';
import { AuditEvent, toAuditEvent } from '../types/audit-event.type';
import { Identity, toIdentity } from '../types/oauth.type';
import { RoleEnum } from '../types/role.enum';
import { Session, toSession } from '../types/session.type';
import { UserConnection } from '../types/user-connection.type';
import { toUser, User } from '../types/user.type';

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The signed-in user; null with no token.' })
  async me(@Ctx() ctx: RequestContext): Promise<User | null> {
    // Read with the session check of this request: no second lookup.
    return ctx.viewer ? toUser(ctx.viewer.user) : null;
  }

  @Query(() => User, { nullable: true })
  async user(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<User | null> {
    const row = await ctx.services.accounts.findUser(id);
    return row ? toUser(row) : null;
  }

  @Query(() => UserConnection, { description: 'ADMIN only.' })
  async users(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<UserConnection> {
    const page = await ctx.services.accounts.listUsers(parsePageSize(first), parseAfterCursor(after));
    return toConnection(page, (row) => encodeCursor(row.createdAt, row.id), toUser);
  }

  @Mutation(() => User, { description: 'ADMIN. Takes effect on the next request of that user.' })
  async setUserRole(
    @Arg('userId', () => ID) userId: string,
    @Arg('role', () => RoleEnum) role: RoleEnum,
    @Ctx() ctx: RequestContext,
  ): Promise<User> {
    return toUser(await ctx.services.accounts.setRole(userId, role, ctx.viewer, ctx.origin));
  }

  @Mutation(() => User, { description: 'ADMIN. Disabling ends every session of the user at once; an ADMIN cannot disable themself, and the last active ADMIN is never disabled.' })
  async setUserDisabled(
    @Arg('userId', () => ID) userId: string,
    @Arg('disabled', () => Boolean) disabled: boolean,
    @Ctx() ctx: RequestContext,
  ): Promise<User> {
    return toUser(await ctx.services.accounts.setDisabled(userId, disabled, ctx.viewer, ctx.origin));
  }

  @FieldResolver(() => [AuditEvent], { nullable: true, description: 'Recent events about this user, newest first (self or ADMIN).' })
  async auditEvents(
    @Root() user: User,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<AuditEvent[]> {
    const rows = await ctx.services.audit.recentForUser(user.id, parsePageSize(first));
    return rows.map(toAuditEvent);
  }

  @FieldResolver(() => [Session], { nullable: true, description: 'Live sessions, oldest first.' })
  async sessions(@Root() user: User, @Ctx() ctx: RequestContext): Promise<Session[]> {
    const rows = await ctx.services.sessions.listLive(user.id);
    return rows.map((row) => toSession(row, ctx.viewer?.sessionId ?? null));
  }

  @FieldResolver(() => [ApiToken], { nullable: true, description: 'Live API tokens (not revoked, not expired), oldest first (self or ADMIN).' })
  async apiTokens(@Root() user: User, @Ctx() ctx: RequestContext): Promise<ApiToken[]> {
    const rows = await ctx.services.apiTokens.listLive(user.id);
    return rows.map(toApiToken);
  }

  @FieldResolver(() => [Identity], { nullable: true, description: 'Linked sign-in providers, oldest first (self or ADMIN).' })
  async identities(@Root() user: User, @Ctx() ctx: RequestContext): Promise<Identity[]> {
    return (await ctx.services.oauth.listIdentities(user.id)).map(toIdentity);
  }
}
