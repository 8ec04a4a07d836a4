import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { AuthPayload } from '../types/auth-payload.type';
import { TokenDelivery } from '../types/role.enum';
import { requireViewer } from '../viewer';
import { toPayload } from './auth.resolver';

const EMAIL_FOR_CODE = 'With a code instead of the link token: the address the code was mailed to.';

@Resolver()
export class EmailResolver {
  @Mutation(() => Boolean, { description: 'Mails the signed-in user a link and a code to verify their address; true at once if it is verified already.' })
  async requestEmailVerification(@Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.services.email.requestEmailVerification(requireViewer(ctx), ctx.origin);
  }

  @Mutation(() => Boolean, { description: "The link's token or the code (a code with `email`, or signed in as its owner). Also confirms the new address of changeEmail." })
  async verifyEmail(
    @Arg('token', () => String) token: string,
    @Arg('email', () => String, { nullable: true, description: `${EMAIL_FOR_CODE} Default: the signed-in user's address.` }) email: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return ctx.services.email.verifyEmail({ token, email }, ctx.viewer?.user.email ?? null, ctx.origin);
  }

  @Mutation(() => Boolean, { description: 'Always true, for unknown addresses too: mails a reset link and code only to an existing, enabled account.' })
  async requestPasswordReset(@Arg('email', () => String) email: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.services.email.requestPasswordReset(email, ctx.origin);
  }

  @Mutation(() => Boolean, { description: 'Sets a new password with a reset link token or code; ends every session of the user.' })
  async resetPassword(
    @Arg('token', () => String) token: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Arg('email', () => String, { nullable: true, description: EMAIL_FOR_CODE }) email: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return ctx.services.email.resetPassword({ token, email }, newPassword, ctx.origin);
  }

  @Mutation(() => Boolean, { description: 'Always true, for unknown addresses too: mails a sign-in link and code only to an existing, enabled account.' })
  async requestMagicLink(@Arg('email', () => String) email: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.services.email.requestMagicLink(email, ctx.origin);
  }

  @Mutation(() => AuthPayload, { description: 'Signs in with a magic link token or code; starts a new session like login.' })
  async loginWithMagicLink(
    @Arg('token', () => String) token: string,
    @Arg('delivery', () => TokenDelivery, { defaultValue: TokenDelivery.BODY }) delivery: TokenDelivery,
    @Arg('email', () => String, { nullable: true, description: EMAIL_FOR_CODE }) email: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<AuthPayload> {
    const cookie = delivery === TokenDelivery.COOKIE;
    const { user, tokens } = await ctx.services.email.loginWithMagicLink({ token, email }, ctx.origin, { cookie });
    return toPayload(ctx, user, tokens, cookie, ctx.clock.now());
  }

  @Mutation(() => Boolean, { description: 'Needs the current password. Mails a link and a code to the new address and a notice to the old one; the address changes once the new one is verified.' })
  async changeEmail(
    @Arg('newEmail', () => String) newEmail: string,
    @Arg('currentPassword', () => String) currentPassword: string,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return ctx.services.email.changeEmail(requireViewer(ctx), newEmail, currentPassword, ctx.origin);
  }
}
