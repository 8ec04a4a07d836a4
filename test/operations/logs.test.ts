import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { isObserving } from '../../src/http/request-log';
import { createLogger } from '../../src/logger';
import { NO_METRICS } from '../../src/metrics';
import { withTestApp } from '../support/app';
import { captureLogs } from '../support/logs';
import { uniqueEmail } from '../support/graphql';

const AUTH_FIELDS = 'accessToken refreshToken csrfToken user { id }';

/**
 * A client that remembers every secret it sends or receives: passwords, access and refresh
 * tokens, CSRF tokens, cookie values. The test then looks for each of them in every log line.
 */
function secretKeepingClient(baseUrl: string) {
  const secrets = new Set<string>();
  const keep = (value: unknown) => {
    if (typeof value === 'string' && value.length >= 8) secrets.add(value);
  };
  async function send(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(headers)) {
      if (name === 'authorization') keep(value.replace(/^Bearer /, ''));
      if (name === 'cookie') for (const pair of value.split(/;\s*/)) keep(decodeURIComponent(pair.slice(pair.indexOf('=') + 1)));
      if (name === 'x-csrf-token') keep(value);
    }
    for (const value of Object.values(variables)) {
      if (typeof value === 'string') keep(value);
      else if (value && typeof value === 'object') for (const inner of Object.values(value)) keep(inner);
    }
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      keep(decodeURIComponent(pair.slice(pair.indexOf('=') + 1)));
    }
    const body = (await response.json()) as { data?: Record<string, Record<string, unknown> | null>; errors?: Array<{ extensions?: { code?: string } }> };
    for (const payload of Object.values(body.data ?? {})) {
      if (payload && typeof payload === 'object') for (const key of ['accessToken', 'refreshToken', 'csrfToken']) keep(payload[key]);
    }
    const setCookie = Object.fromEntries(response.headers.getSetCookie().map((line) => line.split(';')[0]!.split('=')).map(([n, v]) => [n, decodeURIComponent(v ?? '')]));
    return { status: response.status, body, setCookie };
  }
  return { send, secrets };
}

describe('logs', () => {
  it('never contain a password, token, CSRF token or cookie seen in a run of every credential flow', async () => {
    const logs = captureLogs('trace');
    await withTestApp(
      { LOG_LEVEL: 'trace' },
      async (t) => {
        const { send, secrets } = secretKeepingClient(t.url);
        const email = uniqueEmail('logscan');
        const password = `first-password-${crypto.randomBytes(6).toString('hex')}`;
        const newPassword = `second-password-${crypto.randomBytes(6).toString('hex')}`;

        const signedUp = (await send(`mutation Signup($input: SignupInput!) { signup(input: $input) { ${AUTH_FIELDS} } }`, { input: { email, password } })).body.data!.signup!;
        const bearer = { authorization: `Bearer ${signedUp.accessToken as string}` };
        await send('query Me { me { id email } }', {}, bearer);
        await send(`mutation Login($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }`, { input: { email, password: `wrong-${password}` } });
        const loggedIn = (await send(`mutation Login($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }`, { input: { email, password } })).body.data!.login!;
        // A literal in the document, not a variable: still never logged.
        await send(`mutation { login(input: { email: "${email}", password: "${password}" }) { accessToken } }`);
        const refreshed = (await send(`mutation Refresh($refreshToken: String) { refresh(refreshToken: $refreshToken) { ${AUTH_FIELDS} } }`, { refreshToken: loggedIn.refreshToken })).body.data!.refresh!;
        t.clock.advance(60_000);
        // Reuse of a rotated token (theft): the session is revoked, an audit event and maybe a log line.
        await send('mutation Refresh($refreshToken: String) { refresh(refreshToken: $refreshToken) { accessToken } }', { refreshToken: loggedIn.refreshToken });
        await send('mutation Refresh($refreshToken: String) { refresh(refreshToken: $refreshToken) { accessToken } }', { refreshToken: 'kcr_not-a-real-token-at-all' });
        await send('mutation ChangePassword($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }', { currentPassword: password, newPassword }, bearer);
        await send('mutation Logout($refreshToken: String) { logout(refreshToken: $refreshToken) }', { refreshToken: refreshed.refreshToken });

        // Cookie mode: the refresh token rides in a cookie and comes back in Set-Cookie.
        const cookieEmail = uniqueEmail('logscan-cookie');
        const cookieSignup = await send(`mutation Signup($input: SignupInput!) { signup(input: $input) { ${AUTH_FIELDS} } }`, { input: { email: cookieEmail, password, delivery: 'COOKIE' } });
        const cookie = Object.entries(cookieSignup.setCookie)
          .map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`)
          .join('; ');
        const csrf = { cookie, 'x-csrf-token': cookieSignup.body.data!.signup!.csrfToken as string };
        const cookieRefresh = await send(`mutation Refresh { refresh { ${AUTH_FIELDS} } }`, {}, csrf);
        assert.equal(cookieRefresh.body.errors, undefined, JSON.stringify(cookieRefresh.body.errors));
        const rotatedCookie = Object.entries(cookieRefresh.setCookie)
          .map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`)
          .join('; ');
        await send('mutation Logout { logout }', {}, { cookie: rotatedCookie, 'x-csrf-token': cookieRefresh.body.data!.refresh!.csrfToken as string });
        // Bad input that echoes nothing back: a body that is not JSON, with a password in it.
        await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"password":"${password}"` });

        assert.ok(secrets.size >= 12, `the run saw its secrets (${secrets.size})`);
        assert.ok(logs.lines.length >= 14, `one line per request at least (${logs.lines.length} lines)`);
        for (const line of logs.lines) {
          for (const secret of secrets) {
            assert.ok(!line.includes(secret) && !line.includes(encodeURIComponent(secret)), `a log line contains a secret (${secret.slice(0, 10)}…): ${line.slice(0, 300)}`);
          }
        }
      },
      { logger: logs.logger },
    );
  });

  it('write one JSON line per request at info: method, path, operation, status, duration, user id, request id', async () => {
    const logs = captureLogs('info');
    await withTestApp(
      { LOG_LEVEL: 'info' },
      async (t) => {
        const email = uniqueEmail('logline');
        const signup = await fetch(`${t.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': 'req-42.abc' },
          body: JSON.stringify({ query: 'mutation SignMeUp($input: SignupInput!) { signup(input: $input) { accessToken user { id } } }', variables: { input: { email, password: 'a long enough password' } } }),
        });
        assert.equal(signup.headers.get('x-request-id'), 'req-42.abc');
        const { data } = (await signup.json()) as { data: { signup: { accessToken: string; user: { id: string } } } };
        const me = await fetch(`${t.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${data.signup.accessToken}`, 'x-request-id': 'not <a> token' },
          body: JSON.stringify({ query: 'query { me { id } }' }),
        });
        const generatedId = me.headers.get('x-request-id');
        assert.match(generatedId ?? '', /^[0-9a-f-]{36}$/, 'an unusable X-Request-Id is replaced by one of ours');
        await fetch(`${t.url}/healthz`);

        const requests = logs.records().filter((record) => record.msg === 'request');
        assert.equal(requests.length, 3, JSON.stringify(requests));
        const [first, second, third] = requests;
        assert.deepEqual(
          { ...first, time: undefined, pid: undefined, hostname: undefined, durationMs: undefined },
          {
            level: 30,
            service: 'keycard',
            reqId: 'req-42.abc',
            method: 'POST',
            path: '/graphql',
            operationType: 'mutation',
            operation: 'SignMeUp',
            status: 200,
            // Signup proves the user within the request: the line names them.
            userId: data.signup.user.id,
            msg: 'request',
            time: undefined,
            pid: undefined,
            hostname: undefined,
            durationMs: undefined,
          },
        );
        assert.equal(typeof first!.durationMs, 'number');
        assert.equal(second!.reqId, generatedId);
        assert.equal(second!.userId, data.signup.user.id, 'the bearer token names the user');
        assert.equal(second!.operation, null, 'an anonymous operation');
        assert.equal(second!.operationType, 'query');
        assert.deepEqual([third!.path, third!.status, third!.userId, 'operation' in third!], ['/healthz', 200, null, false]);
      },
      { logger: logs.logger },
    );
  });

  it('censor credentials under the usual keys, at any of the first three levels', () => {
    const logs = captureLogs('info');
    logs.logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJsecret', cookie: '__Host-keycard-refresh=kcr_secret', 'x-csrf-token': 'csrf-secret' } },
        res: { headers: { 'set-cookie': ['__Host-keycard-refresh=kcr_secret2'] } },
        password: 'hunter2-secret',
        input: { currentPassword: 'old-secret', newPassword: 'new-secret', refreshToken: 'kcr_secret3' },
        variables: { anything: 'variables-secret' },
        userCode: 'ABCD-secret',
      },
      'x',
    );
    const line = logs.lines[0]!;
    assert.doesNotMatch(line, /secret/, line);
    assert.equal((line.match(/\[redacted\]/g) ?? []).length, 10, line);
  });
});

describe('request observation is skipped when nothing reads it', () => {
  it('observes at info, or at warn when metrics are on; not at warn without metrics', async () => {
    const someMetrics = { ...NO_METRICS };
    assert.equal(isObserving(createLogger('info'), NO_METRICS), true);
    assert.equal(isObserving(createLogger('warn'), someMetrics), true);
    assert.equal(isObserving(createLogger('warn'), NO_METRICS), false);
    assert.equal(isObserving(createLogger('silent'), NO_METRICS), false);
  });

  it('a server at LOG_LEVEL=warn without metrics answers without an X-Request-Id, and still answers', async () => {
    // Its own logger at warn: the log-scan run (npm run test:logscan) gives other apps one at trace.
    await withTestApp(
      { LOG_LEVEL: 'warn' },
      async (t) => {
        const response = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('x-request-id'), null);
      },
      { logger: createLogger('warn') },
    );
  });
});
