import crypto from 'node:crypto';
import type { PasswordHasher } from './password';
import { isPlausiblePassword, parseEmail, parseNewPassword } from './account.input';
import { AuditEventType, type RequestOrigin } from '../audit/audit-event';
import type { Clock } from '../clock';
import { errors, OneTimeTokenErrorReason, TokenErrorReason, type KeycardError } from '../errors';
import type { Logger } from '../logger';
import type { Mailer } from '../mail/mailer';
import type { TemplateName } from '../mail/templates';
import type { RateLimits } from '../abuse/rate-limits';
import { RevokeReason, type IssuedTokens, type SessionService } from '../sessions/session.service';
import type { AuditRepository } from '../storage/audit';
import type { ConsumeOutcome, OneTimeAction, OneTimePurpose, OneTimeToken, OneTimeTokenRepository } from '../storage/one-time-tokens';
import type { User, UserRepository } from '../storage/users';
import {
  formatCode,
  hashCode,
  hashLinkToken,
  looksLikeLinkToken,
  mintOneTimeToken,
  normalizeCode,
  ONE_TIME_TOKEN_TTL_MS,
} from '../tokens/one-time-token';
import type { Actor } from './account.service';

/**
 * Accounts by email: verification, password reset, magic links and email change, each by a
 * mailed link or code (contract.md, "Email links and one-time tokens"; README, "Email").
 *
 * Send failures: the token is committed first; the send is retried (src/mail/mailer.ts); when
 * every attempt fails it is logged and audited (EMAIL_SEND_FAILED) and the signed-in mutations
 * answer SERVICE_UNAVAILABLE (the request can simply be made again: it voids the unsent token).
 * requestPasswordReset and requestMagicLink do all their work off the request path, so they
 * answer true at once and the same way whether the address exists, and a failure is only
 * logged and audited.
 */

/** The page of the web app (APP_URL) each purpose's link opens. */
const LINK_PAGES: Record<OneTimePurpose, string> = {
  VERIFY_EMAIL: 'verify-email',
  CHANGE_EMAIL: 'verify-email',
  RESET_PASSWORD: 'reset-password',
  MAGIC_LINK: 'magic-link',
};

const TEMPLATES: Record<OneTimePurpose, TemplateName> = {
  VERIFY_EMAIL: 'verify-email',
  CHANGE_EMAIL: 'change-email',
  RESET_PASSWORD: 'reset-password',
  MAGIC_LINK: 'magic-link',
};

const REQUESTED: Record<OneTimePurpose, AuditEventType> = {
  VERIFY_EMAIL: AuditEventType.EMAIL_VERIFICATION_REQUESTED,
  CHANGE_EMAIL: AuditEventType.EMAIL_CHANGE_REQUESTED,
  RESET_PASSWORD: AuditEventType.PASSWORD_RESET_REQUESTED,
  MAGIC_LINK: AuditEventType.MAGIC_LINK_REQUESTED,
};

const USED: Record<OneTimePurpose, AuditEventType> = {
  VERIFY_EMAIL: AuditEventType.EMAIL_VERIFIED,
  CHANGE_EMAIL: AuditEventType.EMAIL_CHANGED,
  RESET_PASSWORD: AuditEventType.PASSWORD_RESET,
  MAGIC_LINK: AuditEventType.MAGIC_LINK_USED,
};

/** How long a client should wait before asking again after every send attempt failed. */
const SEND_RETRY_AFTER_SECONDS = 60;

export interface EmailServiceOptions {
  users: UserRepository;
  oneTimeTokens: OneTimeTokenRepository;
  audit: AuditRepository;
  sessions: SessionService;
  hasher: PasswordHasher;
  clock: Clock;
  mailer: Mailer;
  limits: RateLimits;
  logger: Logger;
  tokenKey: crypto.KeyObject;
  /** APP_URL, without a trailing slash. */
  appUrl: string;
}

/** A presented token or code: the link token (unique on its own) or a code with the address it was mailed to. */
export interface Presented {
  token: string;
  /** For a code: the address it was mailed to; default: the signed-in user's address. */
  email?: string | null;
}

export function createEmailService(options: EmailServiceOptions) {
  const { users, oneTimeTokens, audit, sessions, hasher, clock, mailer, limits, logger, tokenKey } = options;

  function requireMail(): void {
    if (!mailer.configured) throw errors.forbidden('EMAIL_NOT_CONFIGURED', 'Email is not configured on this server.');
  }

  /** Stores a new token (voiding older ones of its purpose) and mails its link and code; audits each step. */
  async function issueAndSend(user: Pick<User, 'id'>, purpose: OneTimePurpose, address: string, origin: RequestOrigin, actorId: string | null): Promise<boolean> {
    const now = clock.now();
    const { linkToken, code } = mintOneTimeToken();
    const expiresAt = new Date(now + ONE_TIME_TOKEN_TTL_MS[purpose]);
    const tokenId = crypto.randomUUID();
    const audited = { userId: user.id, actorId, ...origin };
    await oneTimeTokens.issue(
      { id: tokenId, userId: user.id, purpose, email: address, linkHash: hashLinkToken(tokenKey, linkToken), codeHash: hashCode(tokenKey, purpose, address, code), createdAt: new Date(now), expiresAt },
      { type: REQUESTED[purpose], ...audited, detail: { tokenId } },
    );
    const link = `${options.appUrl}/${LINK_PAGES[purpose]}?token=${linkToken}`;
    try {
      await mailer.send({ to: address, template: TEMPLATES[purpose], values: { email: address, link, code: formatCode(code), expires: expiresAt.toUTCString() } });
    } catch (error) {
      logger.error({ purpose, tokenId, err: error instanceof Error ? error.message : String(error) }, 'mail could not be sent');
      await audit.record(new Date(clock.now()), { type: AuditEventType.EMAIL_SEND_FAILED, ...audited, detail: { purpose, tokenId } });
      return false;
    }
    await audit.record(new Date(clock.now()), { type: AuditEventType.EMAIL_SENT, ...audited, detail: { purpose, tokenId } });
    return true;
  }

  /**
   * The token a link token or a code stands for. A code is looked up only with the address it
   * was mailed to and its purpose, and counts against the code-guessing limits (per address and
   * per IP), so it cannot be guessed across accounts nor brute-forced within one.
   */
  async function resolve<T>(presented: Presented, purposes: readonly OneTimePurpose[], fallbackEmail: string | null, origin: RequestOrigin, use: (token: OneTimeToken | undefined) => Promise<T>): Promise<T> {
    const raw = presented.token.trim();
    if (looksLikeLinkToken(raw)) {
      const token = await oneTimeTokens.findByLinkHash(hashLinkToken(tokenKey, raw));
      return use(token && purposes.includes(token.purpose) ? token : undefined);
    }
    const code = normalizeCode(raw);
    const given = presented.email ?? fallbackEmail;
    if (code === null || !given) return use(undefined);
    const address = parseEmail(given);
    return limits.codeAttempt(address, origin, async () => {
      for (const purpose of purposes) {
        const token = await oneTimeTokens.findByCode(purpose, address, hashCode(tokenKey, purpose, address, code));
        if (token) return use(token);
      }
      return use(undefined);
    });
  }

  /** Consumes a resolved token with its action, or answers why not (audited either way). */
  async function consume(token: OneTimeToken | undefined, action: (token: OneTimeToken) => OneTimeAction, origin: RequestOrigin): Promise<Extract<ConsumeOutcome, { kind: 'DONE' }> & { token: OneTimeToken }> {
    const failed = async (reason: OneTimeTokenErrorReason, detail: Record<string, unknown> = {}): Promise<KeycardError> => {
      await audit.record(new Date(clock.now()), { type: AuditEventType.ONE_TIME_TOKEN_FAILED, userId: token?.userId ?? null, ...origin, detail: { reason, ...detail } });
      return errors.invalidOneTimeToken(reason);
    };
    if (!token) throw await failed(OneTimeTokenErrorReason.UNKNOWN);
    const at = new Date(clock.now());
    const outcome = await oneTimeTokens.consume(token.id, at, action(token), { type: USED[token.purpose], userId: token.userId, actorId: token.userId, ...origin, detail: { tokenId: token.id } });
    switch (outcome.kind) {
      case 'DONE':
        return { ...outcome, token };
      case 'EMAIL_TAKEN':
        throw errors.emailTaken();
      case 'ACCOUNT_DISABLED':
        throw errors.accountDisabled();
      default:
        throw await failed(OneTimeTokenErrorReason[outcome.kind], { purpose: token.purpose, tokenId: token.id });
    }
  }

  /**
   * requestPasswordReset and requestMagicLink: the answer is `true` after the same work for
   * every address (parse, rate limits, queue), because the lookup, the token and the mail all
   * happen off the request path. An unknown or disabled address is audited and gets no mail.
   */
  async function requestByAddress(rawEmail: string, purpose: 'RESET_PASSWORD' | 'MAGIC_LINK', origin: RequestOrigin): Promise<true> {
    requireMail();
    const email = parseEmail(rawEmail);
    await limits.mailRequest(email, origin);
    mailer.background(async () => {
      const user = await users.findByEmail(email);
      if (!user || user.disabledAt !== null) {
        await audit.record(new Date(clock.now()), { type: REQUESTED[purpose], userId: user?.id ?? null, ...origin, detail: { sent: false, reason: user ? 'ACCOUNT_DISABLED' : 'UNKNOWN_EMAIL' } });
        return;
      }
      await issueAndSend(user, purpose, user.email, origin, null);
    });
    return true;
  }

  return {
    /** Mails the signed-in user a link and a code to verify their address; true without a mail if it is verified already. */
    async requestEmailVerification(actor: Actor, origin: RequestOrigin): Promise<boolean> {
      requireMail();
      const user = await users.findById(actor.userId);
      if (!user) throw errors.unauthenticated(TokenErrorReason.TOKEN_REVOKED);
      if (user.emailVerifiedAt !== null) return true;
      await limits.mailRequest(user.email, origin);
      if (!(await issueAndSend(user, 'VERIFY_EMAIL', user.email, origin, actor.userId))) throw errors.serviceUnavailable(SEND_RETRY_AFTER_SECONDS, 'The mail could not be sent. Try again later.');
      return true;
    },

    /** A verification link or code (the account's own address, or the new one of an email change). */
    async verifyEmail(presented: Presented, viewerEmail: string | null, origin: RequestOrigin): Promise<boolean> {
      await resolve(presented, ['VERIFY_EMAIL', 'CHANGE_EMAIL'], viewerEmail, origin, (token) =>
        consume(token, (t) => ({ kind: t.purpose === 'CHANGE_EMAIL' ? 'CHANGE_EMAIL' : 'VERIFY_EMAIL' }), origin),
      );
      return true;
    },

    requestPasswordReset(email: string, origin: RequestOrigin): Promise<true> {
      return requestByAddress(email, 'RESET_PASSWORD', origin);
    },

    /** Sets a new password, ends every session and voids every other mailed token, in one transaction. */
    async resetPassword(presented: Presented, newPassword: string, origin: RequestOrigin): Promise<boolean> {
      const password = parseNewPassword(newPassword, 'newPassword');
      const passwordHash = await hasher.hash(password);
      await resolve(presented, ['RESET_PASSWORD'], null, origin, (token) =>
        consume(token, () => ({ kind: 'RESET_PASSWORD', passwordHash, revokeReason: RevokeReason.PASSWORD_CHANGED }), origin),
      );
      return true;
    },

    requestMagicLink(email: string, origin: RequestOrigin): Promise<true> {
      return requestByAddress(email, 'MAGIC_LINK', origin);
    },

    /** Signs in with a magic link or code: the session is stored in the transaction that uses the token. */
    async loginWithMagicLink(presented: Presented, origin: RequestOrigin, mode: { cookie: boolean }): Promise<{ user: User; tokens: IssuedTokens }> {
      return resolve(presented, ['MAGIC_LINK'], null, origin, async (token) => {
        const prepared = token ? sessions.prepareStart(token.userId, origin, mode, 'magic-link') : null;
        const done = await consume(token, () => ({ kind: 'MAGIC_LINK', session: prepared!.session, refreshToken: prepared!.refreshToken, sessionAudit: prepared!.audit }), origin);
        return { user: done.user, tokens: prepared!.issue(done.user.role) };
      });
    },

    /**
     * Asks to move the account to `newEmail`: proves the current password again (a stolen access
     * token alone must not take the account over), mails a link and a code to the new address
     * and a notice to the old one. The address changes only when the new one is verified.
     */
    async changeEmail(actor: Actor, rawNewEmail: string, currentPassword: string, origin: RequestOrigin): Promise<boolean> {
      requireMail();
      const newEmail = parseEmail(rawNewEmail, 'newEmail');
      const user = await users.findById(actor.userId);
      if (!user) throw errors.unauthenticated(TokenErrorReason.TOKEN_REVOKED);
      const passwordHash = user.passwordHash;
      if (passwordHash === null) {
        // An account made by social login has no password to confirm the change with (README, "Social login").
        throw errors.forbidden('NO_PASSWORD', 'This account has no password yet: set one with the password reset flow (requestPasswordReset).');
      }
      await limits.passwordCheck(user.id, origin, async () => {
        if (!(isPlausiblePassword(currentPassword) && (await hasher.verify(passwordHash, currentPassword)))) {
          await audit.record(new Date(clock.now()), { type: AuditEventType.PASSWORD_CHANGE_FAILED, userId: user.id, actorId: user.id, sessionId: actor.sessionId, ...origin, detail: { reason: 'WRONG_PASSWORD', during: 'changeEmail' } });
          throw errors.invalidCredentials();
        }
      });
      if (newEmail === user.email) throw errors.badUserInput('newEmail', 'This is already the address of your account.');
      if (await users.findByEmail(newEmail)) throw errors.emailTaken();
      await limits.mailRequest(newEmail, origin);
      if (!(await issueAndSend(user, 'CHANGE_EMAIL', newEmail, origin, actor.userId))) throw errors.serviceUnavailable(SEND_RETRY_AFTER_SECONDS, 'The mail could not be sent. Try again later.');
      // The old address is told, so an account taken over cannot be moved away silently.
      try {
        await mailer.send({ to: user.email, template: 'email-changed', values: { email: user.email, newEmail } });
      } catch (error) {
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'email change notice could not be sent');
        await audit.record(new Date(clock.now()), { type: AuditEventType.EMAIL_SEND_FAILED, userId: user.id, actorId: user.id, ...origin, detail: { purpose: 'EMAIL_CHANGE_NOTICE' } });
      }
      return true;
    },
  };
}

export type EmailService = ReturnType<typeof createEmailService>;
