import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { AuthPayload } from '../types/auth-payload.type';
import { AuthProvider, Identity, OAuthAuthorization, toIdentity } from '../types/oauth.type';
import { TokenDelivery } from '../types/role.enum';
import { toPayload } from './auth.resolver';

@Resolver()
export class OAuthResolver {
  @Query(() => [AuthProvider], { description: 'The configured sign-in providers (public).' })
  authProviders(@Ctx() ctx: RequestContext): AuthProvider[] {
    return ctx.services.oauth.providers().map(({ id, name }) => Object.assign(new AuthProvider(), { id, name }));
  }

  @Mutation(() => OAuthAuthorization, {
    description: 'Starts social login: send the person to authorizationUrl. With link: true (signed in), the attempt links the identity to this account (finish with linkIdentity).',
  })
  async startOAuthLogin(
    @Arg('provider', () => String) provider: string,
    @Arg('redirectUri', () => String) redirectUri: string,
    @Arg('link', () => Boolean, { nullable: true, defaultValue: false, description: 'true: for linkIdentity, bound to the signed-in user.' }) link: boolean | null,
    @Ctx() ctx: RequestContext,
  ): Promise<OAuthAuthorization> {
    // The rule table requires a viewer when link is true.
    const linkFor = link ? ctx.viewer : null;
    const started = await ctx.services.oauth.start(provider, redirectUri, linkFor, ctx.origin);
    return Object.assign(new OAuthAuthorization(), started);
  }

  @Mutation(() => AuthPayload, { description: "Finishes social login with the provider's code and state: signs in, or creates the account. Always a new session." })
  async completeOAuthLogin(
    @Arg('provider', () => String) provider: string,
    @Arg('code', () => String) code: string,
    @Arg('state', () => String) state: string,
    @Arg('delivery', () => TokenDelivery, { nullable: true, defaultValue: TokenDelivery.BODY }) delivery: TokenDelivery | null,
    @Ctx() ctx: RequestContext,
  ): Promise<AuthPayload> {
    const cookie = delivery === TokenDelivery.COOKIE;
    const { user, tokens } = await ctx.services.oauth.complete(provider, code, state, ctx.origin, { cookie });
    return toPayload(ctx, user, tokens, cookie, ctx.clock.now());
  }

  @Mutation(() => Identity, { description: 'Links the provider account to the signed-in user; the state must come from startOAuthLogin(link: true) by this user.' })
  async linkIdentity(
    @Arg('provider', () => String) provider: string,
    @Arg('code', () => String) code: string,
    @Arg('state', () => String) state: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Identity> {
    return toIdentity(await ctx.services.oauth.link(ctx.viewer!, provider, code, state, ctx.origin));
  }

  @Mutation(() => Boolean, { description: "Removes one of the signed-in user's identities; never the last way to sign in (OAUTH_FAILED LAST_SIGN_IN_METHOD)." })
  async unlinkIdentity(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.services.oauth.unlink(ctx.viewer!, id, ctx.origin);
  }
}
