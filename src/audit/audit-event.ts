export const AuditEventType = {
  SIGNUP: 'SIGNUP',
  LOGIN_SUCCEEDED: 'LOGIN_SUCCEEDED',
  LOGIN_FAILED: 'LOGIN_FAILED',
  TOKEN_REFRESHED: 'TOKEN_REFRESHED',
  REFRESH_TOKEN_REUSED: 'REFRESH_TOKEN_REUSED',
  LOGOUT: 'LOGOUT',
  LOGOUT_ALL: 'LOGOUT_ALL',
  SESSION_REVOKED: 'SESSION_REVOKED',
  PASSWORD_CHANGED: 'PASSWORD_CHANGED',
  ROLE_CHANGED: 'ROLE_CHANGED',
  USER_DISABLED: 'USER_DISABLED',
  USER_ENABLED: 'USER_ENABLED',
  RATE_LIMITED: 'RATE_LIMITED',
  PASSWORD_CHANGE_FAILED: 'PASSWORD_CHANGE_FAILED',
  /** A device started the device flow (RFC 8628 §3.1); detail: clientId, scopes. */
  DEVICE_AUTHORIZATION_STARTED: 'DEVICE_AUTHORIZATION_STARTED',
  DEVICE_APPROVED: 'DEVICE_APPROVED',
  DEVICE_DENIED: 'DEVICE_DENIED',
  API_TOKEN_CREATED: 'API_TOKEN_CREATED',
  API_TOKEN_REVOKED: 'API_TOKEN_REVOKED',
  // Accounts by email: each step of a mailed link or code (requested, sent, used, failed).
  EMAIL_VERIFICATION_REQUESTED: 'EMAIL_VERIFICATION_REQUESTED',
  PASSWORD_RESET_REQUESTED: 'PASSWORD_RESET_REQUESTED',
  MAGIC_LINK_REQUESTED: 'MAGIC_LINK_REQUESTED',
  EMAIL_CHANGE_REQUESTED: 'EMAIL_CHANGE_REQUESTED',
  EMAIL_SENT: 'EMAIL_SENT',
  EMAIL_SEND_FAILED: 'EMAIL_SEND_FAILED',
  EMAIL_VERIFIED: 'EMAIL_VERIFIED',
  PASSWORD_RESET: 'PASSWORD_RESET',
  MAGIC_LINK_USED: 'MAGIC_LINK_USED',
  EMAIL_CHANGED: 'EMAIL_CHANGED',
  ONE_TIME_TOKEN_FAILED: 'ONE_TIME_TOKEN_FAILED',
  OAUTH_STARTED: 'OAUTH_STARTED',
  OAUTH_FAILED: 'OAUTH_FAILED',
  IDENTITY_LINKED: 'IDENTITY_LINKED',
  IDENTITY_UNLINKED: 'IDENTITY_UNLINKED',
} as const;
export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];

const KNOWN_TYPES = new Set<string>(Object.values(AuditEventType));

export function isAuditEventType(value: string): value is AuditEventType {
  return KNOWN_TYPES.has(value);
}

/** Who did what, from where. Written in the same transaction as the change it describes. */
export interface AuditEventInput {
  type: AuditEventType;
  userId?: string | null;
  actorId?: string | null;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  detail?: Record<string, unknown> | null;
}

/** Where a request came from; carried into sessions and audit events. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}
