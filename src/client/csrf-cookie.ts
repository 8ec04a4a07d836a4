/** The script-readable cookie the server sets next to the HttpOnly refresh cookie (contract.md, "Tokens"). */
export const CSRF_COOKIE_NAME = '__Host-keycard-csrf';

/**
 * The CSRF token from `document.cookie`, when this code runs in a page of the API's own origin.
 * Reading it afresh on each call keeps tabs in step: a login in another tab replaces it.
 */
export function readCsrfCookie(): string | null {
  // Typed here rather than with the DOM lib: the SDK also runs in Node, where there is no page.
  const page = (globalThis as { document?: { readonly cookie: string } }).document;
  if (page === undefined) return null;
  for (const pair of page.cookie.split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === CSRF_COOKIE_NAME) {
      const value = pair.slice(eq + 1).trim();
      return value ? decodeURIComponent(value) : null;
    }
  }
  return null;
}
