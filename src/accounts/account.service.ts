import crypto from 'node:crypto';
import type { Role } from '../tokens/access-token';
import type { PasswordHasher } from './password';
import { AuditEventType, type RequestOrigin } from '../audit/audit-event';
import type { Clock } from '../clock';
import { errors, TokenErrorReason } from '../errors';
import { RevokeReason, type IssuedTokens, type SessionService, type Viewer } from '../sessions/session.service';
import { isPlausiblePassword, parseDisplayName, parseEmail, parseNewPassword, requireWellFormedPassword } from './account.input';
import type { AuditRepository } from '../storage/audit';
import { EmailTakenError, type User, type UserRepository } from '../storage/users';

/** Who is acting: the services need the caller's identity and session, not the rest of the viewer. */
export type Actor = Pick<Viewer, 'userId' | 'sessionId'>;

export interface SignupInput {
  email: string;
  password: string;
  displayName?: string | null;
}

export interface AccountServiceOptions {
  users: UserRepository;
  audit: AuditRepository;
  sessions: SessionService;
  hasher: PasswordHasher;
  clock: Clock;
  /** REQUIRE_EMAIL_VERIFICATION: the right password of an unverified account answers EMAIL_NOT_VERIFIED. */
  requireEmailVerification?: boolean;
}

export type SignedIn = { user: User; tokens: IssuedTokens };

export function createAccountService(options: AccountServiceOptions) {
  const { users, audit, sessions, hasher, clock } = options;

  async function createUser(input: SignupInput & { role: Role }, origin: RequestOrigin, actorId: string | null): Promise<User> {
    const email = parseEmail(input.email);
    const password = parseNewPassword(input.password);
    const displayName = parseDisplayName(input.displayName);
    if (await users.findByEmail(email)) throw errors.emailTaken();
    const id = crypto.randomUUID();
    const passwordHash = await hasher.hash(password);
    try {
      return await users.create(
        // The default display name does not derive from the email: displayName is public, email is not.
        { id, email, passwordHash, displayName: displayName ?? `user-${id.slice(0, 8)}`, role: input.role, createdAt: new Date(clock.now()) },
        { type: AuditEventType.SIGNUP, userId: id, actorId: actorId ?? id, ...origin, detail: { role: input.role } },
      );
    } catch (error) {
      if (error instanceof EmailTakenError) throw errors.emailTaken();
      throw error;
    }
  }

  return {
    createUser,

    async signup(input: SignupInput, origin: RequestOrigin, mode: { cookie: boolean }): Promise<SignedIn> {
      const user = await createUser({ ...input, role: 'USER' }, origin, null);
      return { user, tokens: await sessions.start(user, origin, mode, 'SIGNUP') };
    },

    /**
     * The same answer and a similar cost for an unknown email and a wrong password
     * (OWASP Authentication cheat sheet): an unknown email still pays for a hash.
     */
    async login(input: { email: string; password: string }, origin: RequestOrigin, mode: { cookie: boolean }): Promise<SignedIn> {
      const email = parseEmail(input.email);
      requireWellFormedPassword(input.password);
      if (!isPlausiblePassword(input.password)) throw errors.invalidCredentials();
      const user = await users.findByEmail(email);
      if (!user) {
        await hasher.verifyDummy(input.password);
        await audit.record(new Date(clock.now()), { type: AuditEventType.LOGIN_FAILED, ...origin, detail: { reason: 'UNKNOWN_EMAIL' } });
        throw errors.invalidCredentials();
      }
      // An account made by social login has no password: answered like an unknown email, with
      // the same dummy hash, so a password guess learns nothing about how the account signs in.
      if (user.passwordHash === null) {
        await hasher.verifyDummy(input.password);
        await audit.record(new Date(clock.now()), { type: AuditEventType.LOGIN_FAILED, userId: user.id, ...origin, detail: { reason: 'NO_PASSWORD' } });
        throw errors.invalidCredentials();
      }
      if (!(await hasher.verify(user.passwordHash, input.password))) {
        await audit.record(new Date(clock.now()), { type: AuditEventType.LOGIN_FAILED, userId: user.id, ...origin, detail: { reason: 'WRONG_PASSWORD' } });
        throw errors.invalidCredentials();
      }
      // Only the right password learns that the account is disabled: no enumeration of disabled accounts.
      if (user.disabledAt !== null) {
        await audit.record(new Date(clock.now()), { type: AuditEventType.LOGIN_FAILED, userId: user.id, ...origin, detail: { reason: 'ACCOUNT_DISABLED' } });
        throw errors.accountDisabled();
      }
      if (options.requireEmailVerification && user.emailVerifiedAt === null) {
        await audit.record(new Date(clock.now()), { type: AuditEventType.LOGIN_FAILED, userId: user.id, ...origin, detail: { reason: 'EMAIL_NOT_VERIFIED' } });
        throw errors.emailNotVerified();
      }
      // The one moment the password is known: bring a hash made with older parameters up to date.
      if (hasher.needsRehash(user.passwordHash)) {
        await users.upgradePasswordHash(user.id, user.passwordHash, await hasher.hash(input.password));
      }
      return { user, tokens: await sessions.start(user, origin, mode, 'LOGIN_SUCCEEDED') };
    },

    async findUser(id: string) {
      return users.findById(id);
    },

    async findUserByEmail(email: string) {
      return users.findByEmail(parseEmail(email));
    },

    /** Oldest account first. */
    async listUsers(first: number, after?: { at: Date; id: string }) {
      const { rows } = await users.page({ first, after: after && { createdAt: after.at, id: after.id } });
      return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount: () => users.count() };
    },

    /** Nobody can demote the last active ADMIN: the system would have no one left to manage it. */
    async setRole(userId: string, role: Role, actor: Actor | null, origin: RequestOrigin): Promise<User> {
      const outcome = await users.setRole(userId, {
        role,
        at: new Date(clock.now()),
        audit: { type: AuditEventType.ROLE_CHANGED, userId, actorId: actor?.userId ?? null, ...origin },
      });
      switch (outcome.kind) {
        case 'NOT_FOUND':
          throw errors.notFound('User');
        case 'LAST_ACTIVE_ADMIN':
          throw errors.badUserInput('role', 'The last active ADMIN cannot be demoted.');
        default:
          return outcome.user;
      }
    },

    /**
     * Proves the current password again before replacing it: a stolen access token alone must
     * not be enough to take the account over (OWASP ASVS 6.2.3). Every other session ends, so
     * whoever knew the old password is signed out; the session that made the change stays.
     */
    async changePassword(viewer: Actor & { sessionId: string }, currentPassword: string, newPassword: string, origin: RequestOrigin): Promise<void> {
      const password = parseNewPassword(newPassword, 'newPassword');
      const user = await users.findById(viewer.userId);
      if (!user) throw errors.unauthenticated(TokenErrorReason.TOKEN_REVOKED);
      const audited = { userId: user.id, actorId: user.id, sessionId: viewer.sessionId, ...origin };
      // No current password to prove (an account made by social login): it sets its first
      // password through the reset flow, which proves control of the email instead.
      if (user.passwordHash === null) {
        await audit.record(new Date(clock.now()), { type: AuditEventType.PASSWORD_CHANGE_FAILED, ...audited, detail: { reason: 'NO_PASSWORD' } });
        throw errors.forbidden('NO_PASSWORD', 'This account has no password yet: set one with the password reset flow (requestPasswordReset).');
      }
      const proven = isPlausiblePassword(currentPassword) && (await hasher.verify(user.passwordHash, currentPassword));
      if (!proven) {
        await audit.record(new Date(clock.now()), { type: AuditEventType.PASSWORD_CHANGE_FAILED, ...audited, detail: { reason: 'WRONG_PASSWORD' } });
        throw errors.invalidCredentials();
      }
      const changed = await users.changePassword(user.id, {
        expectedPasswordHash: user.passwordHash,
        passwordHash: await hasher.hash(password),
        at: new Date(clock.now()),
        keepSessionId: viewer.sessionId,
        revokeReason: RevokeReason.PASSWORD_CHANGED,
        audit: { type: AuditEventType.PASSWORD_CHANGED, ...audited },
      });
      // Another request changed the password between our check and our write: the current password is no longer it.
      if (!changed) throw errors.invalidCredentials();
    },

    /**
     * Disabling ends every session at once; re-enabling lets the user sign in again (old sessions
     * stay ended). An ADMIN cannot disable themself, and the last active ADMIN is never disabled.
     */
    async setDisabled(userId: string, disabled: boolean, actor: Actor | null, origin: RequestOrigin): Promise<User> {
      if (disabled && actor?.userId === userId) throw errors.badUserInput('userId', 'An ADMIN cannot disable their own account.');
      const outcome = await users.setDisabled(userId, {
        disabled,
        at: new Date(clock.now()),
        revokeReason: RevokeReason.USER_DISABLED,
        audit: { type: disabled ? AuditEventType.USER_DISABLED : AuditEventType.USER_ENABLED, userId, actorId: actor?.userId ?? null, ...origin },
      });
      switch (outcome.kind) {
        case 'NOT_FOUND':
          throw errors.notFound('User');
        case 'LAST_ACTIVE_ADMIN':
          throw errors.badUserInput('disabled', 'The last active ADMIN cannot be disabled.');
        default:
          return outcome.user;
      }
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
