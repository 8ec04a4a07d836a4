import crypto from 'node:crypto';
import { AuditEventType, type RequestOrigin } from '../audit/audit-event';
import type { AuditRepository } from '../storage/audit';
import type { Clock } from '../clock';
import { ErrorCode, errors, KeycardError } from '../errors';
import { createAttemptLimiter, createFailureLimiter, LimitExceeded, type AttemptLimiter } from './attempt-limiter';
import type { LimiterStore } from '../storage/rate-limits';
import { NO_METRICS, type Metrics } from '../metrics';

/** Limits from the environment (config.ts): attempts per window, per key. */
export interface RateLimitSettings {
  loginPerAccount: number;
  loginPerIp: number;
  signupPerIp: number;
  refreshPerIp: number;
  windowMs: number;
  /** Longest block of the growing login back-off. */
  loginMaxBlockMs: number;
  /** Requests per IP and window to the /oauth/* endpoints (OAUTH_LIMIT_PER_IP); introspection is called by services, often from one address. */
  oauthPerIp: number;
}

export interface RateLimitsOptions {
  settings: RateLimitSettings;
  store: LimiterStore;
  audit: AuditRepository;
  clock: Clock;
  /** Counts every refusal by limiter (keycard_rate_limited_total); default: counts nothing. */
  metrics?: Metrics;
}

/** An IP we cannot tell (no socket address) still gets counted, in one shared bucket. */
const UNKNOWN_IP = 'unknown';

function ipKey(origin: RequestOrigin): string {
  return origin.ip ?? UNKNOWN_IP;
}

/** Emails are normalized by the caller; hashed so the table holds bounded keys and no addresses. */
function accountKey(normalizedEmail: string): string {
  return crypto.createHash('sha256').update(normalizedEmail).digest('base64url');
}

function seconds(limit: LimitExceeded): number {
  return Math.max(1, Math.ceil(limit.retryAfterMs / 1000));
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof KeycardError && error.code === code;
}

/**
 * Anti-automation for the unauthenticated, expensive or guessable operations (OWASP ASVS 6.3.1,
 * OWASP Authentication cheat sheet "Protect against automated attacks"). A point is taken
 * before each attempt runs, inside the resolver's call, so every aliased field of one GraphQL
 * request counts on its own (security.md #24) and concurrent requests cannot race past a limit.
 */
export function createRateLimits(options: RateLimitsOptions) {
  const { settings, store, audit, clock, metrics = NO_METRICS } = options;
  const { windowMs } = settings;
  const loginAccount = createAttemptLimiter(store, { name: 'LOGIN_ACCOUNT', points: settings.loginPerAccount, windowMs, maxBlockMs: settings.loginMaxBlockMs });
  const loginIp = createAttemptLimiter(store, { name: 'LOGIN_IP', points: settings.loginPerIp, windowMs, maxBlockMs: settings.loginMaxBlockMs });
  // Wrong current passwords count per user as login failures do: a stolen access token must not
  // become a way to guess the password without a limit.
  const passwordCheck = createAttemptLimiter(store, { name: 'PASSWORD_CHECK', points: settings.loginPerAccount, windowMs, maxBlockMs: settings.loginMaxBlockMs });
  const signupIp = createAttemptLimiter(store, { name: 'SIGNUP_IP', points: settings.signupPerIp, windowMs });
  const refreshIp = createFailureLimiter(store, { name: 'REFRESH_IP', points: settings.refreshPerIp, windowMs });
  // Device user codes have ~34.6 bits (src/tokens/device-code.ts): wrong codes count per user and
  // per IP with the login limits' sizes, so the code space is never searchable (RFC 8628 §5.1).
  const userCodeUser = createFailureLimiter(store, { name: 'USER_CODE_USER', points: settings.loginPerAccount, windowMs, maxBlockMs: settings.loginMaxBlockMs });
  const userCodeIp = createFailureLimiter(store, { name: 'USER_CODE_IP', points: settings.loginPerIp, windowMs, maxBlockMs: settings.loginMaxBlockMs });
  const oauthIp = createAttemptLimiter(store, { name: 'OAUTH_IP', points: settings.oauthPerIp, windowMs });
  // Mail requests: a mailbox must not be flooded, nor the sender's reputation burnt. Per address
  // as many as failed logins per account, per IP as many as logins per IP.
  const mailAddress = createAttemptLimiter(store, { name: 'MAIL_ADDRESS', points: settings.loginPerAccount, windowMs });
  const mailIp = createAttemptLimiter(store, { name: 'MAIL_IP', points: settings.loginPerIp, windowMs });
  // Wrong codes, per address and per IP, with the login back-off: with 5 per 15 minutes and a
  // block that doubles up to LOGIN_BLOCK_MAX, a day of guessing tries well under 500 of the
  // 31^8 (~8.5e11) codes (src/tokens/one-time-token.ts).
  const codeAddress = createAttemptLimiter(store, { name: 'CODE_ADDRESS', points: settings.loginPerAccount, windowMs, maxBlockMs: settings.loginMaxBlockMs });
  const codeIp = createAttemptLimiter(store, { name: 'CODE_IP', points: settings.loginPerIp, windowMs, maxBlockMs: settings.loginMaxBlockMs });
  // Failed social-login steps (bad or replayed state, refused code, bad ID token) per IP, at the login rate.
  const socialLoginIp = createFailureLimiter(store, { name: 'SOCIAL_LOGIN_IP', points: settings.loginPerIp, windowMs });

  /** One audit event per block, written by the attempt that started it. */
  async function recordBlock(block: LimitExceeded, origin: RequestOrigin, detail: Record<string, unknown>, userId: string | null): Promise<void> {
    await audit.record(new Date(clock.now()), { type: AuditEventType.RATE_LIMITED, userId, ...origin, detail: { limit: block.limiter, retryAfter: seconds(block), ...detail } });
  }

  /** Runs a limiter step; over the limit, answers RATE_LIMITED (and audits the block's start). */
  async function guard(step: Promise<void>, origin: RequestOrigin, detail: Record<string, unknown> = {}, userId: string | null = null): Promise<void> {
    try {
      await step;
    } catch (error) {
      if (!(error instanceof LimitExceeded)) throw error;
      metrics.rateLimited(error.limiter);
      if (error.blockStarted) await recordBlock(error, origin, detail, userId);
      throw errors.rateLimited(seconds(error));
    }
  }

  function take(limiter: AttemptLimiter, key: string, origin: RequestOrigin, detail: Record<string, unknown> = {}, userId: string | null = null): Promise<void> {
    return guard(limiter.take(key), origin, detail, userId);
  }

  return {
    /**
     * Counts failed logins per account and per IP. A success forgets the account's failures
     * but only gives the IP back its point: otherwise an attacker could sign in to an account
     * of their own between guesses and clear their IP's record.
     */
    async login<T>(normalizedEmail: string, origin: RequestOrigin, attempt: () => Promise<T>): Promise<T> {
      const ip = ipKey(origin);
      const account = accountKey(normalizedEmail);
      await take(loginIp, ip, origin);
      // A blocked account keeps the IP's point: hammering a locked account is abuse from that IP too.
      await take(loginAccount, account, origin, { email: normalizedEmail });
      let result: T;
      try {
        result = await attempt();
      } catch (error) {
        // No refund when the database stayed locked: it would wait for the lock a second time (the point lapses with its window).
        if (!isCode(error, ErrorCode.INVALID_CREDENTIALS) && !isCode(error, ErrorCode.SERVICE_UNAVAILABLE)) await Promise.all([loginIp.refund(ip), loginAccount.refund(account)]);
        throw error;
      }
      await Promise.all([loginIp.refund(ip), loginAccount.reset(account)]);
      return result;
    },

    /** Counts wrong current passwords of a signed-in user (changePassword). */
    async passwordCheck<T>(userId: string, origin: RequestOrigin, attempt: () => Promise<T>): Promise<T> {
      await take(passwordCheck, userId, origin, {}, userId);
      let result: T;
      try {
        result = await attempt();
      } catch (error) {
        if (!isCode(error, ErrorCode.INVALID_CREDENTIALS)) await passwordCheck.refund(userId);
        throw error;
      }
      await passwordCheck.reset(userId);
      return result;
    },

    /**
     * Counts every signup per IP, EMAIL_TAKEN included (it tells which emails exist), except
     * input refused before any lookup or hash.
     */
    async signup<T>(origin: RequestOrigin, attempt: () => Promise<T>): Promise<T> {
      const ip = ipKey(origin);
      await take(signupIp, ip, origin);
      try {
        return await attempt();
      } catch (error) {
        if (isCode(error, ErrorCode.BAD_USER_INPUT)) await signupIp.refund(ip);
        throw error;
      }
    },

    /**
     * Counts failed refreshes per IP. A refresh is cheap and its token unguessable (256 bits), so
     * the hot path only checks (one read on SQLite; on PostgreSQL none once the IP was read
     * clear, src/storage/limit-block-board.ts); a failure is written after the fact.
     */
    async refresh<T>(origin: RequestOrigin, attempt: () => Promise<T>): Promise<T> {
      const ip = ipKey(origin);
      await guard(refreshIp.check(ip), origin);
      try {
        return await attempt();
      } catch (error) {
        // The database was locked out for the whole bounded wait: the client did nothing wrong,
        // and recording a failure would make it wait for the lock a second time.
        if (isCode(error, ErrorCode.SERVICE_UNAVAILABLE)) throw error;
        const block = await refreshIp.fail(ip);
        if (block) await recordBlock(block, origin, {}, null);
        throw error;
      }
    },

    /**
     * Counts wrong device user codes per user and per IP (`deviceRequest`, `approveDevice`,
     * `denyDevice`): a miss is a null answer or NOT_FOUND. Checked before the lookup, so a
     * blocked caller learns nothing about any code; a hit costs nothing.
     */
    async userCodeGuess<T>(userId: string, origin: RequestOrigin, attempt: () => Promise<T>): Promise<T> {
      const ip = ipKey(origin);
      await guard(userCodeIp.check(ip), origin, {}, userId);
      await guard(userCodeUser.check(userId), origin, {}, userId);
      let missed = false;
      let result: T;
      try {
        result = await attempt();
        missed = result === null;
      } catch (error) {
        missed = isCode(error, ErrorCode.NOT_FOUND);
        throw error;
      } finally {
        if (missed) {
          const blocks = await Promise.all([userCodeIp.fail(ip), userCodeUser.fail(userId)]);
          for (const block of blocks) if (block) await recordBlock(block, origin, {}, userId);
        }
      }
      return result;
    },

    /** Counts every request to an /oauth/* endpoint per IP; over the limit, RATE_LIMITED (the endpoint answers 429). */
    async oauth(origin: RequestOrigin): Promise<void> {
      await take(oauthIp, ipKey(origin), origin);
    },

    /** Counts every mail request (verification, reset, magic link, email change) per address and per IP. */
    async mailRequest(normalizedEmail: string, origin: RequestOrigin): Promise<void> {
      await take(mailIp, ipKey(origin), origin);
      await take(mailAddress, accountKey(normalizedEmail), origin);
    },

    /**
     * Counts code attempts per address and per IP. Only a wrong code keeps its points; the right
     * one clears the address's record and gives the IP its point back.
     */
    async codeAttempt<T>(normalizedEmail: string, origin: RequestOrigin, attempt: () => Promise<T>): Promise<T> {
      const ip = ipKey(origin);
      const address = accountKey(normalizedEmail);
      await take(codeIp, ip, origin);
      await take(codeAddress, address, origin);
      let result: T;
      try {
        result = await attempt();
      } catch (error) {
        if (!isCode(error, ErrorCode.INVALID_ONE_TIME_TOKEN)) await Promise.all([codeIp.refund(ip), codeAddress.refund(address)]);
        throw error;
      }
      await Promise.all([codeIp.refund(ip), codeAddress.reset(address)]);
      return result;
    },

    /** Counts failed social-login steps per IP: each failure costs a point, a blocked IP is refused before any work. */
    async socialLogin<T>(origin: RequestOrigin, attempt: () => Promise<T>): Promise<T> {
      const ip = ipKey(origin);
      await guard(socialLoginIp.check(ip), origin);
      try {
        return await attempt();
      } catch (error) {
        if (isCode(error, ErrorCode.OAUTH_FAILED)) {
          const block = await socialLoginIp.fail(ip);
          if (block) await recordBlock(block, origin, {}, null);
        }
        throw error;
      }
    },

    clearExpired: () => store.clearExpired(),
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
