import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { errors } from '../../errors';
import { decodeCursor, encodeCursor } from '../cursor';
import { parsePageSize } from '../page-size';
import { AuditEventConnection } from '../types/audit-event-connection.type';
import { toAuditEvent } from '../types/audit-event.type';

@Resolver()
export class AuditResolver {
  @Query(() => AuditEventConnection, { description: 'ADMIN only. The audit log, newest first, optionally about one user or of one type.' })
  async auditEvents(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('userId', () => ID, { nullable: true }) userId: string | null,
    @Arg('type', () => String, { nullable: true }) type: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<AuditEventConnection> {
    const size = parsePageSize(first);
    const position = after ? decodeCursor(after) : undefined;
    if (position === null) throw errors.badUserInput('after', 'The cursor is not valid.');
    const page = await ctx.services.audit.page({
      first: size,
      after: position && { at: position.createdAt, id: position.id },
      userId: userId ?? undefined,
      type: type ?? undefined,
    });
    const edges = page.rows.map((row) => ({ cursor: encodeCursor(row.at, row.id), node: toAuditEvent(row) }));
    return {
      edges,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: page.totalCount,
    };
  }
}
