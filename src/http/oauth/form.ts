import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, readBody } from '../body';
import { oauthError, type OAuthResponse } from './oauth-response';

/**
 * Reads an OAuth request's body: `application/x-www-form-urlencoded` (RFC 6749 §4.1.3, RFC 8628
 * §3.1), at most `limit` bytes. A parameter sent twice is refused (RFC 6749 §3.2: "MUST NOT be
 * included more than once"), as a second value could be read differently by two layers.
 */
export async function readForm(req: IncomingMessage, limit: number): Promise<{ ok: true; form: URLSearchParams } | { ok: false; response: OAuthResponse }> {
  const contentType = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    req.resume();
    return { ok: false, response: oauthError('invalid_request', 'The body must be application/x-www-form-urlencoded.') };
  }
  let raw: string;
  try {
    raw = await readBody(req, limit);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { ok: false, response: { ...oauthError('invalid_request', `The request body is larger than ${limit} bytes.`), status: 413 } };
    throw error;
  }
  const form = new URLSearchParams(raw);
  const names = [...form.keys()];
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) return { ok: false, response: oauthError('invalid_request', `The parameter ${repeated} is sent more than once.`) };
  return { ok: true, form };
}

/** A required parameter, or the invalid_request answer naming it. */
export function requiredParameter(form: URLSearchParams, name: string): { ok: true; value: string } | { ok: false; response: OAuthResponse } {
  const value = form.get(name);
  if (value === null || value === '') return { ok: false, response: oauthError('invalid_request', `The parameter ${name} is missing.`) };
  return { ok: true, value };
}
