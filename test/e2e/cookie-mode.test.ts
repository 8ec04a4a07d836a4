import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LoginDocument, LogoutAllDocument, LogoutDocument, MeDocument, RefreshDocument, SignupDocument } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { DAY, SECOND } from '../support/clock';
import { assertErrorCode, call, PASSWORD, post, signup, uniqueEmail } from '../support/graphql';
import { decodeSegment } from '../support/tokens';

const REFRESH_COOKIE = '__Host-keycard-refresh';
const CSRF_COOKIE = '__Host-keycard-csrf';
const REFRESH_TTL_SECONDS = 14 * 24 * 60 * 60;

interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flag attributes map to ''. */
  attributes: Map<string, string>;
}

/** Reads Set-Cookie lines literally, so the test sees exactly what a browser would be told. */
function parseSetCookies(headers: Headers): Map<string, SetCookie> {
  const cookies = new Map<string, SetCookie>();
  for (const line of headers.getSetCookie()) {
    const [pair, ...rest] = line.split(';').map((part) => part.trim());
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq);
    const attributes = new Map<string, string>();
    for (const attribute of rest) {
      const at = attribute.indexOf('=');
      if (at === -1) attributes.set(attribute.toLowerCase(), '');
      else attributes.set(attribute.slice(0, at).toLowerCase(), attribute.slice(at + 1));
    }
    cookies.set(name, { name, value: decodeURIComponent(pair!.slice(eq + 1)), attributes });
  }
  return cookies;
}

function cookieHeader(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('; ');
}

describe('cookie mode', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ REFRESH_TOKEN_TTL: '14d', SESSION_MAX_AGE: '30d', REFRESH_REUSE_GRACE: '10s' });
  });
  afterEach(() => t.close());

  /** A browser session: the cookies the server set, and the CSRF token from the payload. */
  async function cookieSignup(extraHeaders: Record<string, string> = {}) {
    const email = uniqueEmail('cookie');
    const result = await call(t.url, SignupDocument, { input: { email, password: PASSWORD, delivery: 'COOKIE' } }, { headers: extraHeaders });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const cookies = parseSetCookies(result.headers);
    const refresh = cookies.get(REFRESH_COOKIE);
    assert.ok(refresh, 'a refresh cookie was set');
    const payload = result.data!.signup;
    return { email, payload, refreshCookie: refresh.value, csrfToken: payload.csrfToken!, cookies };
  }

  function refreshByCookie(refreshCookie: string, csrfHeader?: string) {
    const headers: Record<string, string> = { cookie: cookieHeader({ [REFRESH_COOKIE]: refreshCookie }) };
    if (csrfHeader !== undefined) headers['x-csrf-token'] = csrfHeader;
    return call(t.url, RefreshDocument, {}, { headers });
  }

  function logoutByCookie(refreshCookie: string, csrfHeader?: string) {
    const headers: Record<string, string> = { cookie: cookieHeader({ [REFRESH_COOKIE]: refreshCookie }) };
    if (csrfHeader !== undefined) headers['x-csrf-token'] = csrfHeader;
    return call(t.url, LogoutDocument, {}, { headers });
  }

  describe('#19 Set-Cookie attributes', () => {
    for (const operation of ['signup', 'login'] as const) {
      it(`${operation} sets the refresh cookie HttpOnly, Secure, SameSite=Strict, __Host- named, Path=/, no Domain, Max-Age = the refresh lifetime`, async () => {
        let headers: Headers;
        if (operation === 'signup') {
          headers = (await call(t.url, SignupDocument, { input: { email: uniqueEmail(), password: PASSWORD, delivery: 'COOKIE' } })).headers;
        } else {
          const { user } = await signup(t.url);
          const result = await call(t.url, LoginDocument, { input: { email: user.email!, password: PASSWORD, delivery: 'COOKIE' } });
          assert.equal(result.errors, undefined);
          headers = result.headers;
        }
        const refresh = parseSetCookies(headers).get(REFRESH_COOKIE);
        assert.ok(refresh, 'refresh cookie set');
        assert.ok(refresh.name.startsWith('__Host-'), 'RFC 6265bis prefix');
        assert.equal(refresh.attributes.get('httponly'), '');
        assert.equal(refresh.attributes.get('secure'), '');
        assert.equal(refresh.attributes.get('samesite'), 'Strict');
        assert.equal(refresh.attributes.get('path'), '/');
        assert.equal(refresh.attributes.has('domain'), false);
        assert.equal(refresh.attributes.get('max-age'), String(REFRESH_TTL_SECONDS));
        assert.match(refresh.value, /^kcr_/);
      });
    }

    it('the CSRF cookie is readable by scripts (no HttpOnly) but otherwise as strict, and carries the csrfToken of the payload', async () => {
      const { cookies, csrfToken } = await cookieSignup();
      const csrf = cookies.get(CSRF_COOKIE);
      assert.ok(csrf, 'csrf cookie set');
      assert.equal(csrf.attributes.has('httponly'), false);
      assert.equal(csrf.attributes.get('secure'), '');
      assert.equal(csrf.attributes.get('samesite'), 'Strict');
      assert.equal(csrf.attributes.get('path'), '/');
      assert.equal(csrf.attributes.has('domain'), false);
      assert.equal(csrf.attributes.get('max-age'), String(REFRESH_TTL_SECONDS));
      assert.equal(csrf.value, csrfToken);
    });

    it('body mode sets no cookie at all', async () => {
      const result = await call(t.url, SignupDocument, { input: { email: uniqueEmail(), password: PASSWORD } });
      assert.deepEqual(result.headers.getSetCookie(), []);
      assert.equal(result.data!.signup.csrfToken, null);
    });
  });

  describe('#20 the refresh token never reaches the JSON body', () => {
    const fields = 'accessToken refreshToken csrfToken';

    it('signup, login and refresh in cookie mode answer refreshToken null and a csrfToken; the raw body never contains the cookie value', async () => {
      const email = uniqueEmail();
      const signed = await post(t.url, { query: `mutation { signup(input: {email: "${email}", password: "${PASSWORD}", delivery: COOKIE}) { ${fields} } }` });
      const logged = await post(t.url, { query: `mutation { login(input: {email: "${email}", password: "${PASSWORD}", delivery: COOKIE}) { ${fields} } }` });
      const loggedCookies = parseSetCookies(logged.headers);
      const refreshed = await post(
        t.url,
        { query: `mutation { refresh { ${fields} } }` },
        { cookie: cookieHeader({ [REFRESH_COOKIE]: loggedCookies.get(REFRESH_COOKIE)!.value }), 'x-csrf-token': loggedCookies.get(CSRF_COOKIE)!.value },
      );
      for (const [name, response] of [['signup', signed], ['login', logged], ['refresh', refreshed]] as const) {
        assert.equal(response.errors, undefined, `${name}: ${JSON.stringify(response.errors)}`);
        const payload = response.data![name] as { accessToken: string; refreshToken: string | null; csrfToken: string | null };
        assert.equal(payload.refreshToken, null, name);
        assert.ok(payload.csrfToken, `${name} carries csrfToken`);
        assert.ok(payload.accessToken, `${name} carries an access token`);
        const cookie = parseSetCookies(response.headers).get(REFRESH_COOKIE);
        assert.ok(cookie, `${name} set the refresh cookie`);
        assert.equal(response.text.includes(cookie.value), false, `${name}: the cookie value is not in the body`);
        assert.equal(response.text.includes('kcr_'), false, `${name}: no refresh token of any kind in the body`);
      }
    });
  });

  describe('#21 CSRF on refresh and logout by cookie', () => {
    it('refresh by cookie without X-CSRF-Token is FORBIDDEN CSRF_TOKEN_INVALID and rotates nothing', async () => {
      const { refreshCookie, csrfToken } = await cookieSignup();
      const refused = await refreshByCookie(refreshCookie);
      assertErrorCode(refused, 'FORBIDDEN', { reason: 'CSRF_TOKEN_INVALID' });
      assert.deepEqual(refused.headers.getSetCookie(), [], 'no cookie set on a refused request');
      // Past the reuse grace window: had the refused call rotated the token, this would be REUSED.
      t.clock.advance(11 * SECOND);
      const accepted = await refreshByCookie(refreshCookie, csrfToken);
      assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
    });

    it('refresh by cookie with a wrong X-CSRF-Token, or the CSRF token of another session, is FORBIDDEN and rotates nothing', async () => {
      const victim = await cookieSignup();
      const attacker = await cookieSignup();
      for (const wrong of ['', 'wrong', victim.csrfToken.slice(0, -1), attacker.csrfToken, 'x'.repeat(10_000)]) {
        assertErrorCode(await refreshByCookie(victim.refreshCookie, wrong), 'FORBIDDEN', { reason: 'CSRF_TOKEN_INVALID' });
      }
      t.clock.advance(11 * SECOND);
      const accepted = await refreshByCookie(victim.refreshCookie, victim.csrfToken);
      assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
    });

    it('a refresh token issued in body mode cannot be used through the cookie: it has no CSRF token to match', async () => {
      const { refreshToken } = await signup(t.url);
      assertErrorCode(await refreshByCookie(refreshToken, 'anything'), 'FORBIDDEN', { reason: 'CSRF_TOKEN_INVALID' });
      assertErrorCode(await refreshByCookie(refreshToken), 'FORBIDDEN', { reason: 'CSRF_TOKEN_INVALID' });
    });

    it('logout by cookie without or with a wrong X-CSRF-Token is FORBIDDEN, clears nothing and the session lives on', async () => {
      const { refreshCookie, csrfToken, payload } = await cookieSignup();
      for (const header of [undefined, 'wrong']) {
        const refused = await logoutByCookie(refreshCookie, header);
        assertErrorCode(refused, 'FORBIDDEN', { reason: 'CSRF_TOKEN_INVALID' });
        assert.deepEqual(refused.headers.getSetCookie(), [], 'the cookies are not cleared');
      }
      const me = await call(t.url, MeDocument, {}, { accessToken: payload.accessToken });
      assert.equal(me.data!.me!.id, payload.user.id, 'the access token still works');
      const accepted = await refreshByCookie(refreshCookie, csrfToken);
      assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
    });
  });

  describe('rotation and logout by cookie', () => {
    it('a refresh by cookie answers with a rotated refresh cookie, the same CSRF token, and a Max-Age that slides from the server clock', async () => {
      const { refreshCookie, csrfToken } = await cookieSignup();
      t.clock.advance(DAY);
      const refreshed = await refreshByCookie(refreshCookie, csrfToken);
      assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
      const cookies = parseSetCookies(refreshed.headers);
      const rotated = cookies.get(REFRESH_COOKIE);
      assert.ok(rotated, 'a new refresh cookie');
      assert.notEqual(rotated.value, refreshCookie);
      assert.equal(rotated.attributes.get('httponly'), '');
      assert.equal(rotated.attributes.get('samesite'), 'Strict');
      assert.equal(rotated.attributes.get('max-age'), String(REFRESH_TTL_SECONDS), 'idle lifetime restarts at this rotation');
      assert.equal(cookies.get(CSRF_COOKIE)?.value, csrfToken);
      assert.equal(refreshed.data!.refresh.csrfToken, csrfToken);
      assert.equal(refreshed.data!.refresh.refreshToken, null);

      const next = await refreshByCookie(rotated.value, csrfToken);
      assert.equal(next.errors, undefined, 'the rotated cookie works');
      t.clock.advance(11 * SECOND);
      assertErrorCode(await refreshByCookie(refreshCookie, csrfToken), 'INVALID_REFRESH_TOKEN', { reason: 'REUSED' });
    });

    it('the cookie Max-Age never outlives the absolute session lifetime', async () => {
      const { refreshCookie, csrfToken } = await cookieSignup();
      let cookie = refreshCookie;
      let maxAge: string | undefined;
      for (let day = 10; day <= 20; day += 10) {
        t.clock.advance(10 * DAY);
        const refreshed = await refreshByCookie(cookie, csrfToken);
        assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
        const rotated = parseSetCookies(refreshed.headers).get(REFRESH_COOKIE)!;
        cookie = rotated.value;
        maxAge = rotated.attributes.get('max-age');
      }
      assert.equal(maxAge, String(10 * 24 * 60 * 60), 'day 20 of a 30-day session: 10 days left, not 14');
    });

    it('#15 logout by cookie clears both cookies (Max-Age=0) and the access token of that session is refused as TOKEN_REVOKED', async () => {
      const { refreshCookie, csrfToken, payload } = await cookieSignup();
      const result = await logoutByCookie(refreshCookie, csrfToken);
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.equal(result.data!.logout, true);
      const cleared = parseSetCookies(result.headers);
      for (const name of [REFRESH_COOKIE, CSRF_COOKIE]) {
        const cookie = cleared.get(name);
        assert.ok(cookie, `${name} cleared`);
        assert.equal(cookie.value, '');
        assert.equal(cookie.attributes.get('max-age'), '0');
        assert.equal(cookie.attributes.get('path'), '/', 'same Path, or the browser keeps the original');
        assert.equal(cookie.attributes.get('secure'), '', '__Host- cookies are only accepted with Secure');
      }
      assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: payload.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
      assertErrorCode(await refreshByCookie(refreshCookie, csrfToken), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    });

    it('a refresh by a dead cookie is INVALID_REFRESH_TOKEN and clears the cookies, so the browser stops sending it', async () => {
      const { refreshCookie, csrfToken, payload } = await cookieSignup();
      await call(t.url, LogoutAllDocument, {}, { accessToken: payload.accessToken });
      const refused = await refreshByCookie(refreshCookie, csrfToken);
      assertErrorCode(refused, 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
      const cleared = parseSetCookies(refused.headers);
      assert.equal(cleared.get(REFRESH_COOKIE)?.attributes.get('max-age'), '0');
      assert.equal(cleared.get(CSRF_COOKIE)?.attributes.get('max-age'), '0');
    });

    it('logout by an unknown refresh cookie clears the cookies and answers false', async () => {
      const result = await logoutByCookie('kcr_planted', 'whatever');
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.equal(result.data!.logout, false);
      assert.equal(parseSetCookies(result.headers).get(REFRESH_COOKIE)?.attributes.get('max-age'), '0');
    });

    it('logoutAll with the refresh cookie along clears the cookies', async () => {
      const { refreshCookie, payload } = await cookieSignup();
      const result = await call(t.url, LogoutAllDocument, {}, { accessToken: payload.accessToken, headers: { cookie: cookieHeader({ [REFRESH_COOKIE]: refreshCookie }) } });
      assert.equal(result.data!.logoutAll, true);
      assert.equal(parseSetCookies(result.headers).get(REFRESH_COOKIE)?.attributes.get('max-age'), '0');
    });
  });

  describe('#17 session fixation', () => {
    it('a refresh cookie planted before login is never adopted: login starts a new session and overwrites the cookie', async () => {
      const attacker = await cookieSignup();
      const { user } = await signup(t.url);
      const planted = { cookie: cookieHeader({ [REFRESH_COOKIE]: attacker.refreshCookie, [CSRF_COOKIE]: attacker.csrfToken }) };
      const result = await call(t.url, LoginDocument, { input: { email: user.email!, password: PASSWORD, delivery: 'COOKIE' } }, { headers: planted });
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      const login = result.data!.login;
      const cookies = parseSetCookies(result.headers);
      assert.notEqual(cookies.get(REFRESH_COOKIE)?.value, attacker.refreshCookie, 'a fresh refresh cookie replaces the planted one');
      assert.notEqual(login.csrfToken, attacker.csrfToken);
      assert.equal(login.user.id, user.id);
      const victimSid = decodeSegment(login.accessToken, 1).sid;
      const attackerSid = decodeSegment(attacker.payload.accessToken, 1).sid;
      assert.notEqual(victimSid, attackerSid, 'a new session, not the planted one');

      // The attacker's own cookie still leads only to the attacker's account.
      const attackerRefresh = await refreshByCookie(attacker.refreshCookie, attacker.csrfToken);
      assert.equal(attackerRefresh.data!.refresh.user.id, attacker.payload.user.id);
    });

    it('signup with a planted refresh cookie also starts its own session', async () => {
      const attacker = await cookieSignup();
      const victim = await cookieSignup({ cookie: cookieHeader({ [REFRESH_COOKIE]: attacker.refreshCookie }) });
      assert.notEqual(victim.refreshCookie, attacker.refreshCookie);
      assert.notEqual(decodeSegment(victim.payload.accessToken, 1).sid, decodeSegment(attacker.payload.accessToken, 1).sid);
    });
  });
});
