/**
 * A minimal browser stand-in for Node tests of cookie mode: keeps the cookies the server sets
 * (by name, honouring Max-Age=0 as deletion) and sends them back. Attributes are checked in
 * test/e2e/cookie-mode.test.ts and by a real browser in test/browser.
 */
export interface CookieJarFetch {
  fetch: typeof fetch;
  cookies: Map<string, string>;
}

export function cookieJarFetch(inner: typeof fetch = fetch): CookieJarFetch {
  const cookies = new Map<string, string>();
  const wrapped: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (init?.credentials === 'include' && cookies.size > 0) {
      headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await inner(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((attribute) => /^\s*max-age\s*=\s*0\s*$/i.test(attribute));
      if (expired) cookies.delete(name);
      else cookies.set(name, pair.slice(eq + 1).trim());
    }
    return response;
  };
  return { fetch: wrapped, cookies };
}
