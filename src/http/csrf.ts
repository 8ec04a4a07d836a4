import crypto from 'node:crypto';

/**
 * CSRF tokens for cookie mode (OWASP CSRF cheat sheet, "synchronizer token"): random per
 * session, returned to the client once, stored only as an HMAC keyed by KEYCARD_SECRET.
 */
export function mintCsrfToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function macCsrfToken(key: crypto.KeyObject, token: string): string {
  return crypto.createHmac('sha256', key).update(token).digest('base64url');
}

/** Constant-time comparison, so the header cannot be guessed byte by byte from response timing. */
export function csrfTokenMatches(key: crypto.KeyObject, presented: string | undefined, storedMac: string | null): boolean {
  if (!presented || !storedMac || presented.length > 256) return false;
  const a = Buffer.from(macCsrfToken(key, presented));
  const b = Buffer.from(storedMac);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
