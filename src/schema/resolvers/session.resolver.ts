import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { requireViewer } from '../viewer';

@Resolver()
export class SessionResolver {
  @Mutation(() => Boolean, {
    description: "Ends one session: your own, or anyone's for an ADMIN. Its tokens stop working on the next request. True if it ended now, false if it had already ended.",
  })
  async revokeSession(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.services.sessions.revoke(id, requireViewer(ctx).userId, ctx.origin);
  }
}
