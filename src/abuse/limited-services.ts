import { parseEmail, requireWellFormedPassword } from '../accounts/account.input';
import type { AccountService } from '../accounts/account.service';
import type { SessionService } from '../sessions/session.service';
import type { DeviceService, DeviceTokens, OAuthOutcome } from '../devices/device.service';
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
      // A malformed email or password is refused before it costs a point: nothing is looked up or hashed.
      const email = parseEmail(input.email);
      requireWellFormedPassword(input.password);
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
