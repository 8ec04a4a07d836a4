import { serialize } from 'cookie';

/**
 * Cookie mode (contract.md, "Tokens"). The `__Host-` prefix makes the browser refuse the cookie
 * unless it is Secure, has Path=/ and no Domain, so a sibling subdomain cannot plant or
 * overwrite it (cookie tossing, RFC 6265bis §4.1.3.2).
 */
export const REFRESH_COOKIE = '__Host-keycard-refresh';
/**
 * The CSRF token in a cookie that scripts of our own origin can read, so a reloaded page can
 * still send X-CSRF-Token; another site can neither read it nor set the header.
 */
export const CSRF_COOKIE = '__Host-keycard-csrf';

export function refreshCookie(token: string, maxAgeSeconds: number): string {
  return serialize(REFRESH_COOKIE, token, { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: maxAgeSeconds });
}

export function csrfCookie(token: string, maxAgeSeconds: number): string {
  return serialize(CSRF_COOKIE, token, { httpOnly: false, secure: true, sameSite: 'strict', path: '/', maxAge: maxAgeSeconds });
}

export function clearedCookies(): string[] {
  return [
    serialize(REFRESH_COOKIE, '', { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: 0 }),
    serialize(CSRF_COOKIE, '', { httpOnly: false, secure: true, sameSite: 'strict', path: '/', maxAge: 0 }),
  ];
}
