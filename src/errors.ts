import { GraphQLError } from 'graphql';

/**
 * The closed list of codes a client can see (contract.md, "Errors"). Messages are for people,
 * codes are for programs. Third-party errors are translated where the library is imported;
 * anything else becomes INTERNAL_SERVER_ERROR in formatError.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  ACCOUNT_DISABLED: 'ACCOUNT_DISABLED',
  INVALID_REFRESH_TOKEN: 'INVALID_REFRESH_TOKEN',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_FOUND: 'NOT_FOUND',
  INVALID_ONE_TIME_TOKEN: 'INVALID_ONE_TIME_TOKEN',
  EMAIL_NOT_VERIFIED: 'EMAIL_NOT_VERIFIED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  OAUTH_FAILED: 'OAUTH_FAILED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const TokenErrorReason = {
  TOKEN_MISSING: 'TOKEN_MISSING',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_REVOKED: 'TOKEN_REVOKED',
} as const;
export type TokenErrorReason = (typeof TokenErrorReason)[keyof typeof TokenErrorReason];

export const RefreshErrorReason = {
  EXPIRED: 'EXPIRED',
  REVOKED: 'REVOKED',
  REUSED: 'REUSED',
  UNKNOWN: 'UNKNOWN',
} as const;
export type RefreshErrorReason = (typeof RefreshErrorReason)[keyof typeof RefreshErrorReason];

/** FORBIDDEN reasons of scoped credentials (contract.md Part 2, "More errors"), and the token limit. */
export const ForbiddenReason = {
  INSUFFICIENT_SCOPE: 'INSUFFICIENT_SCOPE',
  SESSION_REQUIRED: 'SESSION_REQUIRED',
  API_TOKEN_LIMIT: 'API_TOKEN_LIMIT',
} as const;
export const OneTimeTokenErrorReason = {
  EXPIRED: 'EXPIRED',
  USED: 'USED',
  UNKNOWN: 'UNKNOWN',
} as const;
export type OneTimeTokenErrorReason = (typeof OneTimeTokenErrorReason)[keyof typeof OneTimeTokenErrorReason];
/** Why social login or linking failed (contract.md, "More errors"). */
export const OAuthErrorReason = {
  UNKNOWN_PROVIDER: 'UNKNOWN_PROVIDER',
  REDIRECT_URI_NOT_ALLOWED: 'REDIRECT_URI_NOT_ALLOWED',
  STATE_INVALID: 'STATE_INVALID',
  PROVIDER_ERROR: 'PROVIDER_ERROR',
  ID_TOKEN_INVALID: 'ID_TOKEN_INVALID',
  ACCOUNT_EXISTS: 'ACCOUNT_EXISTS',
  LAST_SIGN_IN_METHOD: 'LAST_SIGN_IN_METHOD',
} as const;
export type OAuthErrorReason = (typeof OAuthErrorReason)[keyof typeof OAuthErrorReason];

/** A GraphQL error whose code is one of ours. Only these reach a client with their message. */
export class KeycardError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
    this.code = code;
    this.name = 'KeycardError';
  }
}

export const errors = {
  unauthenticated: (reason: TokenErrorReason) =>
    new KeycardError(ErrorCode.UNAUTHENTICATED, unauthenticatedMessages[reason], { reason }),
  forbidden: (reason?: string, message = 'You are not allowed to do this.') =>
    new KeycardError(ErrorCode.FORBIDDEN, message, reason ? { reason } : {}),
  invalidCredentials: () => new KeycardError(ErrorCode.INVALID_CREDENTIALS, 'Email or password is incorrect.'),
  accountDisabled: () => new KeycardError(ErrorCode.ACCOUNT_DISABLED, 'This account is disabled.'),
  invalidRefreshToken: (reason: RefreshErrorReason) =>
    new KeycardError(ErrorCode.INVALID_REFRESH_TOKEN, refreshMessages[reason], { reason }),
  emailTaken: () => new KeycardError(ErrorCode.EMAIL_TAKEN, 'An account with this email already exists.'),
  badUserInput: (field: string, message: string) => new KeycardError(ErrorCode.BAD_USER_INPUT, message, { field }),
  notFound: (what: string) => new KeycardError(ErrorCode.NOT_FOUND, `${what} not found.`),
  rateLimited: (retryAfterSeconds: number) =>
    new KeycardError(ErrorCode.RATE_LIMITED, 'Too many attempts. Try again later.', {
      retryAfter: Math.max(1, Math.ceil(retryAfterSeconds)),
    }),
  invalidOneTimeToken: (reason: OneTimeTokenErrorReason) =>
    new KeycardError(ErrorCode.INVALID_ONE_TIME_TOKEN, oneTimeTokenMessages[reason], { reason }),
  emailNotVerified: () => new KeycardError(ErrorCode.EMAIL_NOT_VERIFIED, 'Verify your email address first: use the link or code mailed to you.'),
  serviceUnavailable: (retryAfterSeconds: number, message = 'The service is unavailable for now. Try again later.') =>
    new KeycardError(ErrorCode.SERVICE_UNAVAILABLE, message, { retryAfter: Math.max(1, Math.ceil(retryAfterSeconds)) }),
  oauthFailed: (reason: OAuthErrorReason) => new KeycardError(ErrorCode.OAUTH_FAILED, oauthMessages[reason], { reason }),
  internal: () => new KeycardError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.'),
};

const unauthenticatedMessages: Record<TokenErrorReason, string> = {
  TOKEN_MISSING: 'You must be signed in.',
  TOKEN_EXPIRED: 'The access token has expired: refresh it.',
  TOKEN_INVALID: 'The access token is invalid.',
  TOKEN_REVOKED: 'The session of this access token has ended.',
};

// One message for every refresh failure: random, expired and another user's tokens must not be
// told apart by their text (security.md #18). The reason is for the client's control flow only.
const refreshMessages: Record<RefreshErrorReason, string> = {
  EXPIRED: 'The refresh token is not valid. Sign in again.',
  REVOKED: 'The refresh token is not valid. Sign in again.',
  REUSED: 'The refresh token is not valid. Sign in again.',
  UNKNOWN: 'The refresh token is not valid. Sign in again.',
};

const oneTimeTokenMessages: Record<OneTimeTokenErrorReason, string> = {
  EXPIRED: 'This link or code has expired. Ask for a new one.',
  USED: 'This link or code has already been used or replaced by a newer one. Ask for a new one.',
  UNKNOWN: 'This link or code is not valid.',
};

// The provider's own error text is never shown: it may carry the code or describe our client.
const oauthMessages: Record<OAuthErrorReason, string> = {
  UNKNOWN_PROVIDER: 'This sign-in provider is not configured.',
  REDIRECT_URI_NOT_ALLOWED: 'This redirect URI is not allowed.',
  STATE_INVALID: 'The sign-in attempt is unknown, expired or already used: start again.',
  PROVIDER_ERROR: 'The sign-in provider refused or did not answer: start again.',
  ID_TOKEN_INVALID: "The provider's ID token failed verification.",
  ACCOUNT_EXISTS: 'An account with this email exists: sign in to it, then link this provider.',
  LAST_SIGN_IN_METHOD: 'This is the last way to sign in to the account: set a password or link another provider first.',
};
