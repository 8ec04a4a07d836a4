import { parseEmail, requireWellFormedPassword } from '../accounts/account.input';
import type { AccountService } from '../accounts/account.service';
import type { OAuthService } from '../oauth/oauth.service';
import type { SessionService } from '../sessions/session.service';
import type { DeviceService, DeviceTokens, OAuthOutcome } from '../devices/device.service';
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
      // A malformed email or password is refused before it costs a point: nothing is looked up or hashed.
      // Counted here, outside the limits, so refusals by a limit count as rate_limited logins.
      return counted(() => {
        const email = parseEmail(input.email);
        requireWellFormedPassword(input.password);
        return limits.login(email, origin, () => accounts.login(input, origin, mode));
      }, metrics.login);
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

/** A refused refresh grant, thrown only to count it against the refresh limit, then answered as it was. */
class RefusedGrant extends Error {}

/**
 * The device service with the abuse limits in front: wrong user codes per user and per IP (RFC
 * 8628 §5.1), and failed refresh grants per IP, the same REFRESH_IP limit as the `refresh`
 * mutation's, counted whatever refused them (unknown token, another client's, reuse).
 */
export function withDeviceLimits(devices: DeviceService, limits: RateLimits): DeviceService {
  return {
    ...devices,
    describe: (userCode, viewer, origin) => limits.userCodeGuess(viewer.userId, origin, () => devices.describe(userCode, viewer, origin)),
    approve: (userCode, viewer, origin) => limits.userCodeGuess(viewer.userId, origin, () => devices.approve(userCode, viewer, origin)),
    deny: (userCode, viewer, origin) => limits.userCodeGuess(viewer.userId, origin, () => devices.deny(userCode, viewer, origin)),
    async refresh(refreshToken, clientId, origin) {
      let refused: OAuthOutcome<DeviceTokens> | null = null;
      try {
        return await limits.refresh(origin, async () => {
          const outcome = await devices.refresh(refreshToken, clientId, origin);
          if (!outcome.ok) {
            refused = outcome;
            throw new RefusedGrant();
          }
          return outcome;
        });
      } catch (error) {
        if (error instanceof RefusedGrant && refused) return refused;
        throw error;
      }
    },
  };
}

/** Social login with its per-IP failure limit in front. */
export function withOAuthRateLimits(oauth: OAuthService, limits: RateLimits): OAuthService {
  return {
    ...oauth,
    start: (provider, redirectUri, linkFor, origin) => limits.socialLogin(origin, () => oauth.start(provider, redirectUri, linkFor, origin)),
    complete: (provider, code, state, origin, mode) => limits.socialLogin(origin, () => oauth.complete(provider, code, state, origin, mode)),
    link: (viewer, provider, code, state, origin) => limits.socialLogin(origin, () => oauth.link(viewer, provider, code, state, origin)),
  };
}
