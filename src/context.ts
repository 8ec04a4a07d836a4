import type { RequestOrigin } from './audit/audit-event';
import type { Clock } from './clock';
import type { AccountService } from './accounts/account.service';
import type { AuditService } from './audit/audit.service';
import type { DeviceService } from './devices/device.service';
import type { EmailService } from './accounts/email.service';
import type { OAuthService } from './oauth/oauth.service';
import type { TokenErrorReason } from './errors';
import type { RequestObservation } from './http/request-log';
import type { SessionService, Viewer } from './sessions/session.service';
import type { ApiTokenService } from './tokens/api-token.service';

export interface Services {
  accounts: AccountService;
  sessions: SessionService;
  audit: AuditService;
  devices: DeviceService;
  apiTokens: ApiTokenService;
  email: EmailService;
  oauth: OAuthService;
}

/** What a resolver may learn about and do to the HTTP exchange. */
export interface HttpExchange {
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
  setCookie(serialized: string): void;
}

/**
 * The per-request context. Built once per request by src/http; it never throws for a bad token:
 * it records why there is no viewer and graphql-shield decides what that means per field.
 */
export interface RequestContext {
  readonly viewer: Viewer | null;
  readonly authError: TokenErrorReason | null;
  readonly origin: RequestOrigin;
  readonly services: Services;
  readonly clock: Clock;
  readonly http: HttpExchange;
  /**
   * Users who proved who they are during this very request (signup, login, refresh), so that
   * the AuthPayload's user can show its own private fields in the same response.
   */
  readonly provenUsers: Set<string>;
  /** The request's log line and metrics (src/http/request-log.ts); absent outside an HTTP request. */
  readonly observation?: RequestObservation;
}
