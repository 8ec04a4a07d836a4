import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { ErrorCode, errors, KeycardError, TokenErrorReason } from '../../errors';
import { clearedCookies, csrfCookie, REFRESH_COOKIE, refreshCookie } from '../../http/cookies';
import type { IssuedTokens } from '../../sessions/session.service';
import type { UserListItem } from '../../storage/users';
import { AuthPayload } from '../types/auth-payload.type';
import { LoginInput, SignupInput } from '../types/auth.input';
import { TokenDelivery } from '../types/role.enum';
import { toUser } from '../types/user.type';

const CSRF_HEADER = 'x-csrf-token';

/** In cookie mode the refresh token goes only into the HttpOnly cookie, never into the body (security.md #20). */
export function toPayload(ctx: RequestContext, user: UserListItem, tokens: IssuedTokens, cookie: boolean, now: number): AuthPayload {
  ctx.provenUsers.add(user.id);
  const payload = new AuthPayload();
  payload.accessToken = tokens.accessToken;
  payload.tokenType = 'Bearer';
  payload.accessTokenExpiresAt = tokens.accessTokenExpiresAt;
  payload.refreshTokenExpiresAt = tokens.refreshTokenExpiresAt;
  payload.user = toUser(user);
  payload.refreshToken = cookie ? null : tokens.refreshToken;
  payload.csrfToken = cookie ? tokens.csrfToken : null;
  if (cookie) {
    const maxAge = Math.max(0, Math.floor((tokens.refreshTokenExpiresAt.getTime() - now) / 1000));
    ctx.http.setCookie(refreshCookie(tokens.refreshToken, maxAge));
    if (tokens.csrfToken) ctx.http.setCookie(csrfCookie(tokens.csrfToken, maxAge));
  }
  return payload;
}

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Creates an account and signs it in.' })
  async signup(@Arg('input', () => SignupInput) input: SignupInput, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    const cookie = input.delivery === TokenDelivery.COOKIE;
    const { user, tokens } = await ctx.services.accounts.signup(input, ctx.origin, { cookie });
    return toPayload(ctx, user, tokens, cookie, ctx.clock.now());
  }

  @Mutation(() => AuthPayload, { description: 'Always starts a new session; a refresh cookie sent along is never adopted.' })
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    const cookie = input.delivery === TokenDelivery.COOKIE;
    const { user, tokens } = await ctx.services.accounts.login(input, ctx.origin, { cookie });
    return toPayload(ctx, user, tokens, cookie, ctx.clock.now());
  }

  @Mutation(() => AuthPayload, { description: 'Rotates a refresh token, from the argument or the refresh cookie (then X-CSRF-Token is required).' })
  async refresh(
    @Arg('refreshToken', () => String, { nullable: true }) refreshToken: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<AuthPayload> {
    const fromCookie = refreshToken === null || refreshToken === undefined;
    const presented = fromCookie ? ctx.http.cookie(REFRESH_COOKIE) : refreshToken;
    if (!presented) throw errors.badUserInput('refreshToken', 'Send the refresh token as the argument or in the refresh cookie.');
    const tokens = await ctx.services.sessions.refresh(presented, ctx.origin, { required: fromCookie, header: ctx.http.header(CSRF_HEADER) }, ctx.viewer?.userId ?? null).catch((error: unknown) => {
      // A dead refresh cookie (expired, revoked, reused) is cleared so the browser stops sending
      // it; a CSRF failure clears nothing, or a forged request could sign the user out.
      if (fromCookie && error instanceof KeycardError && error.code === ErrorCode.INVALID_REFRESH_TOKEN) {
        for (const cleared of clearedCookies()) ctx.http.setCookie(cleared);
      }
      throw error;
    });
    // The refresh read the user with its token: no second lookup on this hot path.
    return toPayload(ctx, tokens.user, tokens, fromCookie, ctx.clock.now());
  }

  @Mutation(() => Boolean, { description: "Ends the session of the given refresh token, the refresh cookie's, or the bearer's. True if a session ended now." })
  async logout(
    @Arg('refreshToken', () => String, { nullable: true }) refreshToken: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    const { sessions } = ctx.services;
    const cookieToken = ctx.http.cookie(REFRESH_COOKIE);
    if (refreshToken !== null && refreshToken !== undefined) {
      const state = await sessions.sessionOfRefreshToken(refreshToken);
      // Another user's token is answered like an unknown one (see SessionService.refresh).
      if (!state || (ctx.viewer && ctx.viewer.userId !== state.user.id)) return false;
      return sessions.end(state.session.id, state.user.id, 'LOGOUT', ctx.origin, state.user.id);
    }
    if (cookieToken) {
      const state = await sessions.sessionOfRefreshToken(cookieToken);
      if (state && !sessions.csrfMatches(ctx.http.header(CSRF_HEADER), state.session.csrfTokenHash)) {
        throw errors.forbidden('CSRF_TOKEN_INVALID', 'The X-CSRF-Token header is missing or wrong.');
      }
      for (const cleared of clearedCookies()) ctx.http.setCookie(cleared);
      if (!state) return false;
      return sessions.end(state.session.id, state.user.id, 'LOGOUT', ctx.origin, state.user.id);
    }
    if (ctx.viewer) return sessions.end(ctx.viewer.sessionId, ctx.viewer.userId, 'LOGOUT', ctx.origin, ctx.viewer.userId);
    throw errors.unauthenticated(ctx.authError ?? TokenErrorReason.TOKEN_MISSING);
  }

  @Mutation(() => Boolean, { description: 'Ends every session of the signed-in user, this one included.' })
  async logoutAll(@Ctx() ctx: RequestContext): Promise<boolean> {
    const viewer = ctx.viewer!;
    await ctx.services.sessions.endAllOf(viewer.userId, 'LOGOUT_ALL', ctx.origin, viewer.userId);
    if (ctx.http.cookie(REFRESH_COOKIE)) for (const cleared of clearedCookies()) ctx.http.setCookie(cleared);
    return true;
  }
}
