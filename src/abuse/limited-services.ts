import { parseEmail } from '../accounts/account.input';
import type { AccountService } from '../accounts/account.service';
import type { SessionService } from '../sessions/session.service';
import { ErrorCode, KeycardError, RefreshErrorReason } from '../errors';
import { counted, NO_METRICS, type Metrics } from '../metrics';
import type { RateLimits } from './rate-limits';

/**
 * The same services with the abuse limits in front, so the services keep to their business
 * rules and every caller (each aliased GraphQL field included) goes through the limits.
 */
export function withRateLimits(services: { accounts: AccountService; sessions: SessionService }, limits: RateLimits, metrics: Metrics = NO_METRICS) {
  const { accounts, sessions } = services;
  const limitedAccounts: AccountService = {
    ...accounts,
    login(input, origin, mode) {
      // A malformed email is refused before it costs a point: nothing is looked up or hashed.
      // Counted here, outside the limits, so refusals by a limit count as rate_limited logins.
      return counted(() => limits.login(parseEmail(input.email), origin, () => accounts.login(input, origin, mode)), metrics.login);
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
      return counted(async () => {
        try {
          return await limits.refresh(origin, () => sessions.refresh(presented, origin, csrf, bearerUserId));
        } catch (error) {
          if (isReuse(error)) metrics.refreshTokenReuse();
          throw error;
        }
      }, metrics.tokenRefresh);
    },
  };
  return { accounts: limitedAccounts, sessions: limitedSessions };
}

function isReuse(error: unknown): boolean {
  return error instanceof KeycardError && error.code === ErrorCode.INVALID_REFRESH_TOKEN && error.extensions.reason === RefreshErrorReason.REUSED;
}
