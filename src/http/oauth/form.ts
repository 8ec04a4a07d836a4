import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, readBody } from '../body';
import { OAuthError } from './oauth-error';

/** Form bodies of these endpoints are a few hundred bytes; anything far larger is refused before parsing. */
export const OAUTH_FORM_LIMIT_BYTES = 16 * 1024;

/** The parameters of a form-encoded request body, each present at most once. */
export interface OAuthForm {
  get(name: string): string | undefined;
}

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1).
 * Another content type, a larger body or a repeated parameter ("MUST NOT be included more
 * than once", RFC 6749 §3.1) is invalid_request.
 */
export async function readForm(req: IncomingMessage, limitBytes = OAUTH_FORM_LIMIT_BYTES): Promise<OAuthForm> {
  const contentType = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) {
    req.resume();
    throw new OAuthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded.');
  }
  let raw: string;
  try {
    raw = await readBody(req, limitBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new OAuthError(413, 'invalid_request', `The body is larger than ${limitBytes} bytes.`, { connection: 'close' });
    throw error;
  }
  const params = new URLSearchParams(raw);
  const values = new Map<string, string>();
  for (const [name, value] of params) {
    if (values.has(name)) throw new OAuthError(400, 'invalid_request', `The parameter ${name.slice(0, 40)} is repeated.`);
    values.set(name, value);
  }
  return { get: (name) => values.get(name) };
}

/** A parameter the request cannot do without: invalid_request when missing or empty. */
export function requiredParam(form: OAuthForm, name: string): string {
  const value = form.get(name);
  if (value === undefined || value === '') throw new OAuthError(400, 'invalid_request', `The parameter ${name} is required.`);
  return value;
}
