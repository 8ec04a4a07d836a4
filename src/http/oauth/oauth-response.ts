import type { OAuthErrorCode } from '../../devices/device.service';
import type { OAuthForm } from './form';

/** What an OAuth endpoint answers: a status and a JSON body (plus headers), for any router to send. */
export interface OAuthResponse {
  status: number;
  json: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Token and device responses carry secrets: no cache may keep them (RFC 6749 §5.1, RFC 8628 §3.2). */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * An RFC 6749 §5.2 error body. invalid_client is 401 (the client could not be identified); the
 * rest are 400, the polling answers of RFC 8628 §3.5 included.
 */
export function oauthError(error: OAuthErrorCode | 'temporarily_unavailable', description: string, status?: number): OAuthResponse {
  return {
    status: status ?? (error === 'invalid_client' ? 401 : 400),
    json: { error, error_description: description },
    headers: { ...NO_STORE },
  };
}

/** A required parameter, or the invalid_request answer naming it. */
export function requiredParameter(form: OAuthForm, name: string): { ok: true; value: string } | { ok: false; response: OAuthResponse } {
  const value = form.get(name);
  if (value === undefined || value === '') return { ok: false, response: oauthError('invalid_request', `The parameter ${name} is missing.`) };
  return { ok: true, value };
}

/** The device handlers' answer as the OAuth router's reply (src/http/oauth/router.ts). */
export function asReply(response: OAuthResponse): { status: number; body: unknown; headers?: Record<string, string> } {
  return { status: response.status, body: response.json, headers: response.headers };
}
