import { parseEmail } from '../accounts/account.input';
import type { AccountService } from '../accounts/account.service';
import type { OAuthService } from '../oauth/oauth.service';
import type { SessionService } from '../sessions/session.service';
import type { RateLimits } from './rate-limits';

/**
 * The same services with the abuse limits in front, so the services keep to their business
 * rules and every caller (each aliased GraphQL field included) goes through the limits.
 */
export function withRateLimits(services: { accounts: AccountService; sessions: SessionService }, limits: RateLimits) {
  const { accounts, sessions } = services;
  const limitedAccounts: AccountService = {
    ...accounts,
    login(input, origin, mode) {
      // A malformed email is refused before it costs a point: nothing is looked up or hashed.
      const email = parseEmail(input.email);
      return limits.login(email, origin, () => accounts.login(input, origin, mode));
    },
    signup(input, origin, mode) {
      return limits.signup(origin, () => accounts.signup(input, origin, mode));
    },
    changePassword(viewer, currentPassword, newPassword, origin) {
      return limits.passwordCheck(viewer.userId, origin, () => accounts.changePassword(viewer, currentPassword, newPassword, origin));
    },
  };
  const limitedSessions: SessionService = {
    ...sessions,
    refresh(presented, origin, csrf, bearerUserId) {
      return limits.refresh(origin, () => sessions.refresh(presented, origin, csrf, bearerUserId));
    },
  };
  return { accounts: limitedAccounts, sessions: limitedSessions };
}

/** Social login with its per-IP failure limit in front. */
export function withOAuthRateLimits(oauth: OAuthService, limits: RateLimits): OAuthService {
  return {
    ...oauth,
    start: (provider, redirectUri, linkFor, origin) => limits.oauth(origin, () => oauth.start(provider, redirectUri, linkFor, origin)),
    complete: (provider, code, state, origin, mode) => limits.oauth(origin, () => oauth.complete(provider, code, state, origin, mode)),
    link: (viewer, provider, code, state, origin) => limits.oauth(origin, () => oauth.link(viewer, provider, code, state, origin)),
  };
}
