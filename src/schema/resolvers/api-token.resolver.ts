import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { NewApiToken, toApiToken } from '../types/api-token.type';
import { requireSessionViewer, requireViewer } from '../viewer';

@Resolver()
export class ApiTokenResolver {
  @Mutation(() => NewApiToken, {
    description:
      'Creates a personal access token (needs a signed-in session, not an API token). Scopes must be ones your role allows; expiresIn like "90d", "1h", "30s", none for no expiry. The token is shown once.',
  })
  async createApiToken(
    @Arg('name', () => String) name: string,
    @Arg('scopes', () => [String]) scopes: string[],
    @Arg('expiresIn', () => String, { nullable: true }) expiresIn: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<NewApiToken> {
    const viewer = requireSessionViewer(ctx);
    const created = await ctx.services.apiTokens.create({ id: viewer.userId, role: viewer.role }, { name, scopes, expiresIn }, ctx.origin, viewer.userId);
    const payload = new NewApiToken();
    payload.token = created.token;
    payload.apiToken = toApiToken(created.apiToken);
    return payload;
  }

  @Mutation(() => Boolean, {
    description: "Revokes an API token: your own, or anyone's for an ADMIN. It stops working on the next request. True if revoked now, false if it already was.",
  })
  async revokeApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.services.apiTokens.revoke(id, requireViewer(ctx).userId, ctx.origin);
  }
}
