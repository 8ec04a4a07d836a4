import type { AuditEventInput } from '../audit/audit-event';
import type { NewRefreshToken, NewSession } from './sessions';
import type { User } from './users';

/** What a mailed one-time token is for; each has its own lifetime (src/tokens/one-time-token.ts). */
export type OneTimePurpose = 'VERIFY_EMAIL' | 'RESET_PASSWORD' | 'MAGIC_LINK' | 'CHANGE_EMAIL';

/** A one-time token as stored: only MACs of the link token and of the code, never either in clear. */
export interface OneTimeToken {
  id: string;
  userId: string;
  purpose: OneTimePurpose;
  /** The address the mail went to: the user's address, or the new one for CHANGE_EMAIL. */
  email: string;
  linkHash: string;
  codeHash: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  /** Set when a newer request of the same purpose, or a password change or reset, voided it. */
  invalidatedAt: Date | null;
}

export type NewOneTimeToken = Omit<OneTimeToken, 'usedAt' | 'invalidatedAt'>;

/** What consuming a token does, in the transaction that marks it used. */
export type OneTimeAction =
  /** Marks the address verified (the user's current address must still be the token's). */
  | { kind: 'VERIFY_EMAIL' }
  /** Replaces the password, ends every session and voids every other outstanding token; the address is proven too. */
  | { kind: 'RESET_PASSWORD'; passwordHash: string; revokeReason: string }
  /** Starts a session (its first refresh token and its audit event); the address is proven too. */
  | { kind: 'MAGIC_LINK'; session: NewSession; refreshToken: NewRefreshToken; sessionAudit: AuditEventInput }
  /** Moves the account to the token's (new) address, verified. */
  | { kind: 'CHANGE_EMAIL' };

export type ConsumeOutcome =
  | { kind: 'DONE'; user: User; sessionsEnded: number }
  | { kind: 'UNKNOWN' }
  | { kind: 'USED' }
  | { kind: 'EXPIRED' }
  /** CHANGE_EMAIL: another account took the address meanwhile. */
  | { kind: 'EMAIL_TAKEN' }
  /** The account is disabled: nothing is consumed. */
  | { kind: 'ACCOUNT_DISABLED' };

export interface OneTimeTokenRepository {
  /**
   * Voids the user's outstanding tokens of this purpose and inserts the new one, with its audit
   * event, in one transaction: at most one live token per user and purpose.
   */
  issue(token: NewOneTimeToken, audit: AuditEventInput): Promise<void>;
  findByLinkHash(linkHash: string): Promise<OneTimeToken | undefined>;
  /** A code is only looked up together with the address it was mailed to and its purpose. */
  findByCode(purpose: OneTimePurpose, email: string, codeHash: string): Promise<OneTimeToken | undefined>;
  /**
   * Marks the token used and performs `action`, in one transaction, only if the token is live
   * (not used, not voided, not expired at `at`, its account enabled and, except CHANGE_EMAIL,
   * still at the token's address): of two concurrent uses exactly one gets DONE.
   */
  consume(tokenId: string, at: Date, action: OneTimeAction, audit: AuditEventInput): Promise<ConsumeOutcome>;
  /** Marks an address verified without a token (the operator CLI); false for an unknown user. */
  markEmailVerified(userId: string, at: Date, audit: AuditEventInput): Promise<boolean>;
  /** Deletes tokens that expired before `cutoff`. */
  pruneExpired(cutoff: Date): Promise<number>;
}

export const ONE_TIME_TOKEN_READS = ['findByLinkHash', 'findByCode'] as const satisfies readonly (keyof OneTimeTokenRepository)[];

/**
 * Writes of the one_time_tokens table alone: no viewer state reads it. `consume` and
 * `markEmailVerified` write users and sessions, so they invalidate (src/storage/invalidation.ts).
 */
export const ONE_TIME_TOKEN_WRITES_KEEPING_VIEWER_STATES = ['issue', 'pruneExpired'] as const satisfies readonly (keyof OneTimeTokenRepository)[];
