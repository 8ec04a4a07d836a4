import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import { errors } from '../../errors';
import { decodeCursor, encodeCursor } from '../cursor';
import { MAX_PAGE_SIZE, parsePageSize } from '../page-size';
import { AuditEvent, toAuditEvent } from '../types/audit-event.type';
import { RoleEnum } from '../types/role.enum';
import { Session, toSession } from '../types/session.type';
import { UserConnection } from '../types/user-connection.type';
import { toUser, User } from '../types/user.type';

export { MAX_PAGE_SIZE };

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The signed-in user; null with no token.' })
  async me(@Ctx() ctx: RequestContext): Promise<User | null> {
    if (!ctx.viewer) return null;
    const row = await ctx.services.accounts.findUser(ctx.viewer.userId);
    return row ? toUser(row) : null;
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
    first ??= 20;
    if (first < 0 || first > MAX_PAGE_SIZE) throw errors.badUserInput('first', `first must be between 0 and ${MAX_PAGE_SIZE}.`);
    const position = after ? decodeCursor(after) : undefined;
    if (position === null) throw errors.badUserInput('after', 'The cursor is not valid.');
    const { rows, totalCount } = await ctx.services.accounts.listUsers(first, position);
    const page = rows.slice(0, first);
    const edges = page.map((row) => ({ cursor: encodeCursor(row.createdAt, row.id), node: toUser(row) }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount,
    };
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
}
