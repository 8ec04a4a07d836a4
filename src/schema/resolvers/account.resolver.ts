import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { requireSessionViewer } from '../viewer';

@Resolver()
export class AccountResolver {
  @Mutation(() => Boolean, { description: 'Needs the current password. Ends every other session of the user; this one stays.' })
  async changePassword(
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    await ctx.services.accounts.changePassword(requireSessionViewer(ctx), currentPassword, newPassword, ctx.origin);
    return true;
  }
}
