import type { ServerResponse } from 'node:http';

/**
 * The error codes of the OAuth endpoints: RFC 6749 §5.2 (token), RFC 8628 §3.5 (device),
 * RFC 7009 §2.2.1 (revocation), RFC 6750 §3.1 (a bad bearer at introspection).
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token'
  | 'unsupported_token_type'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable'
  | 'server_error';

/** An answer of the standard shape `{error, error_description}`; thrown by a handler, sent by the router. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

/**
 * A JSON answer of an OAuth endpoint. Tokens and their state ride on these: no cache may keep
 * them (RFC 6749 §5.1, RFC 7662 §2.2).
 */
export function sendOAuthJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    pragma: 'no-cache',
    ...headers,
  });
  res.end(text);
}

export function sendOAuthError(res: ServerResponse, error: OAuthError): void {
  sendOAuthJson(res, error.status, { error: error.error, error_description: error.description }, error.headers);
}
