import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { toConnection } from '../connection';
import { encodeCursor, parseAfterCursor } from '../cursor';
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
    const page = await ctx.services.audit.page({
      first: parsePageSize(first),
      after: parseAfterCursor(after),
      userId: userId ?? undefined,
      type: type ?? undefined,
    });
    return toConnection(page, (row) => encodeCursor(row.at, row.id), toAuditEvent);
  }
}
