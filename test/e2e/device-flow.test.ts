import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  ApproveDeviceDocument,
  DenyDeviceDocument,
  DeviceRequestDocument,
  MeDocument,
  MySessionsDocument,
  RevokeSessionDocument,
} from '../../src/client/generated/graphql';
import { hashDeviceCode } from '../../src/tokens/device-code';
import { startTestApp, withTestApp, type TestApp } from '../support/app';
import { MINUTE, SECOND } from '../support/clock';
import { assertErrorCode, call, signup } from '../support/graphql';
import { decodeSegment } from '../support/tokens';
import { signedInAdmin } from '../support/users';

// openid-client 6 is ESM-only and this project compiles to CommonJS: load it at run time. It is
// the standard client that must drive the flow unchanged (RFC 8628, RFC 6749 §6).
type OpenId = typeof import('openid-client', { with: { 'resolution-mode': 'import' } });
const loadOpenId = () => import('openid-client') as Promise<OpenId>;

const ISSUER = 'http://keycard.test';
const ENV = { JWT_ISSUER: ISSUER, APP_URL: 'http://app.test/demo/', OAUTH_DEVICE_CLIENTS: 'tv,cli' };
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

interface DeviceClient {
  oidc: OpenId;
  config: InstanceType<OpenId['Configuration']>;
  /** What each token request got: its `error`, or 'tokens'. */
  answers: string[];
  /** Runs before each token request (the n-th, from 1): moves the manual clock, approves, denies... */
  beforeTokenRequest: (n: number) => Promise<void> | void;
}

/**
 * An openid-client configuration for a public client of this server, with explicit metadata (the
 * discovery document is another endpoint's) and a fetch that lets the test act between polls.
 */
async function deviceClient(t: TestApp, clientId: string): Promise<DeviceClient> {
  const oidc = await loadOpenId();
  const config = new oidc.Configuration(
    { issuer: ISSUER, token_endpoint: `${t.url}/oauth/token`, device_authorization_endpoint: `${t.url}/oauth/device_authorization` },
    clientId,
    undefined,
    oidc.None(),
  );
  oidc.allowInsecureRequests(config);
  const client: DeviceClient = { oidc, config, answers: [], beforeTokenRequest: () => t.clock.advance(5 * SECOND) };
  let requests = 0;
  config[oidc.customFetch] = async (url, options) => {
    const isToken = url.endsWith('/oauth/token');
    if (isToken) await client.beforeTokenRequest(++requests);
    const response = await fetch(url, options as RequestInit);
    if (isToken) {
      const body = (await response.clone().json()) as { error?: string };
      client.answers.push(body.error ?? 'tokens');
    }
    return response;
  };
  return client;
}

/** Polls without openid-client's real-time wait before each request: the test's manual clock decides what is "too soon". */
function poll(client: DeviceClient, response: Awaited<ReturnType<OpenId['initiateDeviceAuthorization']>>) {
  return client.oidc.pollDeviceAuthorizationGrant(client.config, { ...response, interval: 0 });
}

async function rawToken(t: TestApp, form: Record<string, string>) {
  const response = await fetch(`${t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

async function approve(t: TestApp, accessToken: string, userCode: string) {
  const result = await call(t.url, ApproveDeviceDocument, { userCode }, { accessToken });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  assert.equal(result.data!.approveDevice, true);
}

async function rejectsWith(promise: Promise<unknown>, error: string) {
  await assert.rejects(promise, (thrown: { error?: string }) => {
    assert.equal(thrown.error, error, String(thrown));
    return true;
  });
}

describe('device sign-in (RFC 8628) driven by openid-client', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp(ENV);
  });
  afterEach(() => t.close());

  it('pending until the person approves, then a session of its own with the approved scopes, listed with its client', async () => {
    const person = await signup(t.url);
    const client = await deviceClient(t, 'tv');
    const started = await client.oidc.initiateDeviceAuthorization(client.config, { scope: 'read:profile read:sessions' });
    assert.match(started.user_code, USER_CODE);
    assert.equal(started.verification_uri, 'http://app.test/demo/device');
    assert.equal(started.verification_uri_complete, `http://app.test/demo/device?user_code=${started.user_code}`);
    assert.equal(started.expires_in, 600);
    assert.equal(started.interval, 5);
    assert.match(started.device_code, /^kcd_[A-Za-z0-9_-]{43}$/, '256 random bits');

    // Neither code is stored as it is.
    const stored = await t.app.storage.deviceAuthorizations.findByDeviceCodeHash(hashDeviceCode(started.device_code));
    assert.ok(stored);
    assert.notEqual(stored.userCodeHash, started.user_code.replace('-', ''));

    client.beforeTokenRequest = async (n) => {
      t.clock.advance(5 * SECOND);
      if (n === 2) {
        // Typed as a person would: lower case, a space instead of the dash.
        const typed = started.user_code.toLowerCase().replace('-', ' ');
        const seen = await call(t.url, DeviceRequestDocument, { userCode: typed }, { accessToken: person.accessToken });
        assert.equal(seen.errors, undefined, JSON.stringify(seen.errors));
        assert.equal(seen.data!.deviceRequest!.clientId, 'tv');
        assert.deepEqual(seen.data!.deviceRequest!.scopes, ['read:profile', 'read:sessions']);
        assert.equal(new Date(seen.data!.deviceRequest!.expiresAt as string).getTime(), t.clock.now() - 10 * SECOND + 10 * MINUTE);
        await approve(t, person.accessToken, typed);
      }
    };
    const tokens = await poll(client, started);
    assert.deepEqual(client.answers, ['authorization_pending', 'tokens']);
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'read:profile read:sessions');
    assert.equal(tokens.expires_in, 15 * 60);
    assert.match(tokens.refresh_token!, /^kcr_/);
    const claims = decodeSegment(tokens.access_token, 1);
    assert.equal(claims.scope, 'read:profile read:sessions');
    assert.equal(claims.sub, person.user.id);

    const me = await call(t.url, MeDocument, {}, { accessToken: tokens.access_token });
    assert.equal(me.errors, undefined, JSON.stringify(me.errors));
    assert.equal(me.data!.me!.id, person.user.id);

    const sessions = await call(t.url, MySessionsDocument, {}, { accessToken: person.accessToken });
    const device = sessions.data!.me!.sessions!.find((s) => s.clientId === 'tv');
    assert.ok(device, 'the device session is listed');
    assert.deepEqual(device.scopes, ['read:profile', 'read:sessions']);
    assert.equal(sessions.data!.me!.sessions!.find((s) => s.current)!.clientId, null, 'a login session has no client');
    assert.equal(decodeSegment(person.accessToken, 1).scope, 'read:profile read:sessions write:sessions read:audit', "a login session's claim: all its role allows");

    const events = (await t.app.audit.page({ first: 50 })).rows;
    assert.ok(events.some((e) => e.type === 'DEVICE_AUTHORIZATION_STARTED' && (e.detail as { clientId: string }).clientId === 'tv'));
    assert.ok(events.some((e) => e.type === 'DEVICE_APPROVED' && e.userId === person.user.id));
    assert.ok(events.some((e) => e.type === 'LOGIN_SUCCEEDED' && (e.detail as { via: string }).via === 'device' && e.sessionId === device.id));
    assert.ok(!JSON.stringify(events).includes(started.device_code) && !JSON.stringify(events).includes(started.user_code), 'no code in the audit trail');
  });

  it('slow_down when polled sooner than the interval, and every slow_down adds 5 seconds (RFC 8628 §3.5)', async () => {
    const person = await signup(t.url);
    const client = await deviceClient(t, 'tv');
    const started = await client.oidc.initiateDeviceAuthorization(client.config, {});
    client.beforeTokenRequest = async (n) => {
      // 1: on time; 2: at once (too soon); 3: 10 s later, the grown interval, after approval.
      if (n === 1) t.clock.advance(5 * SECOND);
      if (n === 3) {
        await approve(t, person.accessToken, started.user_code);
        t.clock.advance(10 * SECOND);
      }
    };
    const tokens = await poll(client, started);
    assert.deepEqual(client.answers, ['authorization_pending', 'slow_down', 'tokens']);
    assert.ok(tokens.access_token);

    // The server keeps count: at 10 s the next poll is on time, at 9 s it is not, and the interval grows to 15.
    const other = await client.oidc.initiateDeviceAuthorization(client.config, {});
    const form = { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'tv', device_code: other.device_code };
    assert.equal((await rawToken(t, form)).body.error, 'authorization_pending');
    t.clock.advance(4 * SECOND);
    assert.equal((await rawToken(t, form)).body.error, 'slow_down');
    t.clock.advance(9 * SECOND);
    assert.equal((await rawToken(t, form)).body.error, 'slow_down');
    t.clock.advance(15 * SECOND);
    assert.equal((await rawToken(t, form)).body.error, 'authorization_pending');
  });

  it('denied: the next poll gets access_denied, and the code cannot be approved afterwards', async () => {
    const person = await signup(t.url);
    const client = await deviceClient(t, 'cli');
    const started = await client.oidc.initiateDeviceAuthorization(client.config, {});
    client.beforeTokenRequest = async () => {
      t.clock.advance(5 * SECOND);
      const denied = await call(t.url, DenyDeviceDocument, { userCode: started.user_code }, { accessToken: person.accessToken });
      assert.equal(denied.data!.denyDevice, true);
    };
    await rejectsWith(poll(client, started), 'access_denied');
    const late = await call(t.url, ApproveDeviceDocument, { userCode: started.user_code }, { accessToken: person.accessToken });
    assertErrorCode(late, 'NOT_FOUND');
    const events = (await t.app.audit.page({ first: 50, userId: person.user.id })).rows;
    assert.ok(events.some((e) => e.type === 'DEVICE_DENIED'));
  });

  it('expired: after expires_in the device gets expired_token, and the person can no longer see or approve the code', async () => {
    const person = await signup(t.url);
    const client = await deviceClient(t, 'tv');
    const started = await client.oidc.initiateDeviceAuthorization(client.config, {});
    client.beforeTokenRequest = () => t.clock.advance(10 * MINUTE);
    await rejectsWith(poll(client, started), 'expired_token');
    const seen = await call(t.url, DeviceRequestDocument, { userCode: started.user_code }, { accessToken: person.accessToken });
    assert.equal(seen.errors, undefined);
    assert.equal(seen.data!.deviceRequest, null);
    assertErrorCode(await call(t.url, ApproveDeviceDocument, { userCode: started.user_code }, { accessToken: person.accessToken }), 'NOT_FOUND');
  });

  it('single use: the device code gives tokens once; of concurrent exchanges exactly one succeeds', async () => {
    const person = await signup(t.url);
    const client = await deviceClient(t, 'tv');
    const started = await client.oidc.initiateDeviceAuthorization(client.config, {});
    await approve(t, person.accessToken, started.user_code);
    const form = { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'tv', device_code: started.device_code };
    const answers = await Promise.all([rawToken(t, form), rawToken(t, form), rawToken(t, form)]);
    // The polls are at one instant: one is on time, the others slow_down; the on-time one consumes the code.
    assert.equal(answers.filter((a) => a.status === 200).length, 1, JSON.stringify(answers.map((a) => a.body)));
    const winner = answers.find((a) => a.status === 200)!;
    assert.equal(winner.headers.get('cache-control'), 'no-store');
    t.clock.advance(MINUTE);
    const again = await rawToken(t, form);
    assert.deepEqual([again.status, again.body.error], [400, 'invalid_grant']);
    assert.equal(client.answers.length, 0);
  });

  it('an unknown client is refused (invalid_client), and a code is bound to the client that asked for it', async () => {
    const stranger = await deviceClient(t, 'evil');
    await rejectsWith(stranger.oidc.initiateDeviceAuthorization(stranger.config, {}), 'invalid_client');
    const tv = await deviceClient(t, 'tv');
    const started = await tv.oidc.initiateDeviceAuthorization(tv.config, {});
    const grant = 'urn:ietf:params:oauth:grant-type:device_code';
    const other = await rawToken(t, { grant_type: grant, client_id: 'cli', device_code: started.device_code });
    assert.deepEqual([other.status, other.body.error], [400, 'invalid_grant']);
    const unknown = await rawToken(t, { grant_type: grant, client_id: 'evil', device_code: started.device_code });
    assert.deepEqual([unknown.status, unknown.body.error], [401, 'invalid_client']);
    const forged = await rawToken(t, { grant_type: grant, client_id: 'tv', device_code: `kcd_${'A'.repeat(43)}` });
    assert.deepEqual([forged.status, forged.body.error], [400, 'invalid_grant']);
  });

  it("scope limits: a USER's approval grants only what the role allows, the tokens and every refresh carry it, an unknown scope is invalid_scope", async () => {
    const person = await signup(t.url);
    const client = await deviceClient(t, 'cli');
    await rejectsWith(client.oidc.initiateDeviceAuthorization(client.config, { scope: 'read:profile write:everything' }), 'invalid_scope');
    const started = await client.oidc.initiateDeviceAuthorization(client.config, { scope: 'read:profile read:users introspect' });
    const seen = await call(t.url, DeviceRequestDocument, { userCode: started.user_code }, { accessToken: person.accessToken });
    assert.deepEqual(seen.data!.deviceRequest!.scopes, ['read:profile']);
    await approve(t, person.accessToken, started.user_code);
    const tokens = await poll(client, started);
    assert.equal(tokens.scope, 'read:profile');
    assert.equal(decodeSegment(tokens.access_token, 1).scope, 'read:profile');
    const refreshed = await client.oidc.refreshTokenGrant(client.config, tokens.refresh_token!);
    assert.equal(refreshed.scope, 'read:profile');
    assert.equal(decodeSegment(refreshed.access_token, 1).scope, 'read:profile');
    const sessionId = decodeSegment(refreshed.access_token, 1).sid as string;
    assert.deepEqual((await t.app.storage.sessions.findById(sessionId))!.scopes, ['read:profile']);

    // An ADMIN approving the same request grants all three.
    const admin = await signedInAdmin(t);
    const second = await client.oidc.initiateDeviceAuthorization(client.config, { scope: 'read:profile read:users introspect' });
    await approve(t, admin.accessToken, second.user_code);
    assert.equal((await poll(client, second)).scope, 'read:profile read:users introspect');
  });

  it('a request that asks for no scope gets everything the approver’s role allows', async () => {
    const person = await signup(t.url);
    const client = await deviceClient(t, 'tv');
    const started = await client.oidc.initiateDeviceAuthorization(client.config, {});
    await approve(t, person.accessToken, started.user_code);
    assert.equal((await poll(client, started)).scope, 'read:profile read:sessions write:sessions read:audit');
  });

  it('refresh rotates; a rotated refresh token presented again after the grace window ends the device session (reuse detection)', async () => {
    const person = await signup(t.url);
    const client = await deviceClient(t, 'tv');
    const started = await client.oidc.initiateDeviceAuthorization(client.config, {});
    await approve(t, person.accessToken, started.user_code);
    const tokens = await poll(client, started);
    client.beforeTokenRequest = () => {};
    const refreshed = await client.oidc.refreshTokenGrant(client.config, tokens.refresh_token!);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    t.clock.advance(MINUTE);
    await rejectsWith(client.oidc.refreshTokenGrant(client.config, tokens.refresh_token!), 'invalid_grant');
    await rejectsWith(client.oidc.refreshTokenGrant(client.config, refreshed.refresh_token!), 'invalid_grant');
    const events = (await t.app.audit.page({ first: 50, userId: person.user.id })).rows;
    assert.ok(events.some((e) => e.type === 'REFRESH_TOKEN_REUSED'));
    // Bound to its client: another allowed client cannot use it, and a login's refresh token is not refreshed here.
    const cli = await deviceClient(t, 'cli');
    cli.beforeTokenRequest = () => {};
    const third = await client.oidc.initiateDeviceAuthorization(client.config, {});
    await approve(t, person.accessToken, third.user_code);
    const fresh = await poll(client, third);
    await rejectsWith(cli.oidc.refreshTokenGrant(cli.config, fresh.refresh_token!), 'invalid_grant');
    await rejectsWith(client.oidc.refreshTokenGrant(client.config, person.refreshToken), 'invalid_grant');
    assert.ok(await client.oidc.refreshTokenGrant(client.config, fresh.refresh_token!), 'the refused attempts changed nothing');
  });

  it('revokeSession ends the device session: its access token stops working and its refresh token is refused', async () => {
    const person = await signup(t.url);
    const client = await deviceClient(t, 'tv');
    const started = await client.oidc.initiateDeviceAuthorization(client.config, {});
    await approve(t, person.accessToken, started.user_code);
    const tokens = await poll(client, started);
    const sessionId = decodeSegment(tokens.access_token, 1).sid as string;
    const revoked = await call(t.url, RevokeSessionDocument, { id: sessionId }, { accessToken: person.accessToken });
    assert.equal(revoked.data!.revokeSession, true);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: tokens.access_token }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    client.beforeTokenRequest = () => {};
    await rejectsWith(client.oidc.refreshTokenGrant(client.config, tokens.refresh_token!), 'invalid_grant');
    const me = await call(t.url, MeDocument, {}, { accessToken: person.accessToken });
    assert.ok(me.data!.me, "the person's own session is untouched");
  });

  it('deviceRequest, approveDevice and denyDevice need a signed-in person', async () => {
    const client = await deviceClient(t, 'tv');
    const started = await client.oidc.initiateDeviceAuthorization(client.config, {});
    assertErrorCode(await call(t.url, DeviceRequestDocument, { userCode: started.user_code }, {}), 'UNAUTHENTICATED', { reason: 'TOKEN_MISSING' });
    assertErrorCode(await call(t.url, ApproveDeviceDocument, { userCode: started.user_code }, {}), 'UNAUTHENTICATED', { reason: 'TOKEN_MISSING' });
    assertErrorCode(await call(t.url, DenyDeviceDocument, { userCode: started.user_code }, {}), 'UNAUTHENTICATED', { reason: 'TOKEN_MISSING' });
  });
});

describe('guessing user codes', () => {
  it('wrong codes are limited per user: after 5 misses even the right code is RATE_LIMITED, and the block is audited', async () => {
    await withTestApp(ENV, async (t) => {
      const person = await signup(t.url);
      const client = await deviceClient(t, 'tv');
      const started = await client.oidc.initiateDeviceAuthorization(client.config, {});
      for (let i = 0; i < 5; i++) {
        const miss = await call(t.url, DeviceRequestDocument, { userCode: `BCDF-GHJ${'KLMNP'[i]}` }, { accessToken: person.accessToken });
        assert.equal(miss.data!.deviceRequest, null);
      }
      assertErrorCode(await call(t.url, DeviceRequestDocument, { userCode: started.user_code }, { accessToken: person.accessToken }), 'RATE_LIMITED');
      assertErrorCode(await call(t.url, ApproveDeviceDocument, { userCode: started.user_code }, { accessToken: person.accessToken }), 'RATE_LIMITED');
      const events = (await t.app.audit.page({ first: 50, userId: person.user.id })).rows;
      assert.ok(events.some((e) => e.type === 'RATE_LIMITED' && (e.detail as { limit: string }).limit === 'USER_CODE_USER'));
      // Another person (same IP, under its own limit) still approves.
      const other = await signup(t.url);
      await approve(t, other.accessToken, started.user_code);
    });
  });

  it('wrong codes are limited per IP across accounts, so many accounts do not multiply the guesses', async () => {
    await withTestApp({ ...ENV, LOGIN_LIMIT_PER_IP: '7' }, async (t) => {
      const first = await signup(t.url);
      const second = await signup(t.url);
      const guess = (accessToken: string) => call(t.url, ApproveDeviceDocument, { userCode: 'ZZZZ-ZZZZ' }, { accessToken });
      for (let i = 0; i < 4; i++) assertErrorCode(await guess(first.accessToken), 'NOT_FOUND');
      for (let i = 0; i < 3; i++) assertErrorCode(await guess(second.accessToken), 'NOT_FOUND');
      assertErrorCode(await guess(second.accessToken), 'RATE_LIMITED');
      const third = await signup(t.url);
      assertErrorCode(await guess(third.accessToken), 'RATE_LIMITED');
    });
  });

  it('a right code costs no point: approving many devices never blocks', async () => {
    await withTestApp(ENV, async (t) => {
      const person = await signup(t.url);
      const client = await deviceClient(t, 'tv');
      for (let i = 0; i < 7; i++) {
        const started = await client.oidc.initiateDeviceAuthorization(client.config, {});
        const seen = await call(t.url, DeviceRequestDocument, { userCode: started.user_code }, { accessToken: person.accessToken });
        assert.ok(seen.data!.deviceRequest);
        await approve(t, person.accessToken, started.user_code);
      }
    });
  });
});

describe('the OAuth endpoints themselves', () => {
  it('are not served when JWT_ISSUER is not a URL', async () => {
    await withTestApp({ OAUTH_DEVICE_CLIENTS: 'tv' }, async (t) => {
      for (const path of ['/oauth/token', '/oauth/device_authorization']) {
        const response = await fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=tv' });
        assert.equal(response.status, 404, path);
      }
    });
  });

  it('failed refresh grants count against REFRESH_LIMIT_PER_IP, whatever refused them; over it: 429 with Retry-After', async () => {
    await withTestApp({ ...ENV, REFRESH_LIMIT_PER_IP: '2' }, async (t) => {
      const person = await signup(t.url);
      const login = await rawToken(t, { grant_type: 'refresh_token', client_id: 'tv', refresh_token: person.refreshToken });
      assert.deepEqual([login.status, login.body.error], [400, 'invalid_grant'], "a login session's token");
      const unknown = await rawToken(t, { grant_type: 'refresh_token', client_id: 'tv', refresh_token: `kcr_${'A'.repeat(43)}` });
      assert.deepEqual([unknown.status, unknown.body.error], [400, 'invalid_grant']);
      const blocked = await rawToken(t, { grant_type: 'refresh_token', client_id: 'tv', refresh_token: `kcr_${'B'.repeat(43)}` });
      assert.deepEqual([blocked.status, blocked.body.error], [429, 'temporarily_unavailable']);
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    });
  });

  it('answer RFC 6749 §5.2 errors for malformed requests', async () => {
    await withTestApp(ENV, async (t) => {
      const unsupported = await rawToken(t, { grant_type: 'password', client_id: 'tv', username: 'a', password: 'b' });
      assert.deepEqual([unsupported.status, unsupported.body.error], [400, 'unsupported_grant_type']);
      const noGrant = await rawToken(t, { client_id: 'tv' });
      assert.deepEqual([noGrant.status, noGrant.body.error], [400, 'invalid_request']);
      const noClient = await rawToken(t, { grant_type: 'refresh_token', refresh_token: 'kcr_x' });
      assert.deepEqual([noClient.status, noClient.body.error], [401, 'invalid_client']);
      const twice = await fetch(`${t.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=refresh_token&client_id=tv&client_id=cli&refresh_token=kcr_x',
      });
      assert.deepEqual([twice.status, ((await twice.json()) as { error: string }).error], [400, 'invalid_request']);
      const json = await fetch(`${t.url}/oauth/device_authorization`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"client_id":"tv"}' });
      assert.deepEqual([json.status, ((await json.json()) as { error: string }).error], [400, 'invalid_request']);
      const get = await fetch(`${t.url}/oauth/token`);
      assert.equal(get.status, 405);
    });
  });
});
