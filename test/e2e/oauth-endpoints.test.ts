import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MeDocument, RefreshDocument } from '../../src/client/generated/graphql';
import { oauthIssuer } from '../../src/http/oauth/issuer';
import { SCOPES } from '../../src/permissions/scopes';
import { startTestApp, withTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, signup } from '../support/graphql';
import { signedInAdmin } from '../support/users';

// openid-client 6 is ESM-only and this project compiles to CommonJS: load it at run time. It is
// the independent client: if it can introspect and revoke, a standard client can.
type OpenIdClient = typeof import('openid-client', { with: { 'resolution-mode': 'import' } });
const loadClient = () => import('openid-client') as Promise<OpenIdClient>;

const ISSUER = 'http://keycard.test';

async function form(url: string, body: Record<string, string> | string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

describe('OAuth endpoints: metadata, introspection (RFC 7662), revocation (RFC 7009)', () => {
  let t: TestApp;
  let introspector: string;
  let admin: Awaited<ReturnType<typeof signedInAdmin>>;
  before(async () => {
    t = await startTestApp({ JWT_ISSUER: ISSUER });
    admin = await signedInAdmin(t);
    const owner = { id: admin.user.id, role: 'ADMIN' as const };
    introspector = (await t.app.services.apiTokens.create(owner, { name: 'gateway', scopes: ['introspect'] }, { ip: null, userAgent: null }, owner.id)).token;
  });
  after(() => t.close());

  /** openid-client configured from our own metadata, its endpoints pointed at the test server's loopback port. */
  async function clientFor(bearer: string | null) {
    const client = await loadClient();
    const metadata = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>;
    const local = (url: string) => url.replace(ISSUER, t.url);
    const auth = bearer === null ? client.None() : (_as: unknown, _client: unknown, _body: URLSearchParams, headers: Headers) => headers.set('authorization', `Bearer ${bearer}`);
    const config = new client.Configuration(
      { ...metadata, issuer: metadata.issuer!, introspection_endpoint: local(metadata.introspection_endpoint!), revocation_endpoint: local(metadata.revocation_endpoint!) },
      'keycard-test',
      undefined,
      auth,
    );
    client.allowInsecureRequests(config);
    return { client, config };
  }

  it('the metadata names the issuer and every endpoint as absolute URLs under it', async () => {
    const response = await fetch(`${t.url}/.well-known/oauth-authorization-server`);
    assert.equal(response.status, 200);
    const metadata = (await response.json()) as Record<string, unknown>;
    assert.equal(metadata.issuer, ISSUER);
    assert.equal(metadata.token_endpoint, `${ISSUER}/oauth/token`);
    assert.equal(metadata.device_authorization_endpoint, `${ISSUER}/oauth/device_authorization`);
    assert.equal(metadata.introspection_endpoint, `${ISSUER}/oauth/introspect`);
    assert.equal(metadata.revocation_endpoint, `${ISSUER}/oauth/revoke`);
    assert.equal(metadata.jwks_uri, `${ISSUER}/.well-known/jwks.json`);
    assert.deepEqual(metadata.grant_types_supported, ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token']);
    assert.deepEqual(metadata.scopes_supported, [...SCOPES]);
  });

  it('openid-client introspects an access token, a refresh token and an API token as active, with sub and scope', async () => {
    const { client, config } = await clientFor(introspector);
    const user = await signup(t.url);
    const access = await client.tokenIntrospection(config, user.accessToken);
    assert.equal(access.active, true);
    assert.equal(access.sub, user.user.id);
    assert.equal(access.scope, 'read:profile read:sessions write:sessions read:audit');
    assert.equal(access.token_type, 'Bearer');
    assert.equal(typeof access.exp, 'number');
    assert.equal(typeof access.iat, 'number');

    const refresh = await client.tokenIntrospection(config, user.refreshToken, { token_type_hint: 'refresh_token' });
    assert.equal(refresh.active, true);
    assert.equal(refresh.sub, user.user.id);
    assert.equal(refresh.token_type, 'refresh_token');
    assert.ok((refresh.exp as number) > (refresh.iat as number));

    const pat = await client.tokenIntrospection(config, introspector);
    assert.deepEqual({ active: pat.active, sub: pat.sub, scope: pat.scope, token_type: pat.token_type, exp: pat.exp }, { active: true, sub: admin.user.id, scope: 'introspect', token_type: 'Bearer', exp: undefined });
  });

  it('openid-client: dead and unknown tokens are only {active: false}', async () => {
    const { client, config } = await clientFor(introspector);
    for (const token of ['kcp_unknown', 'kcr_unknown', 'not-a-token', 'a.b.c']) {
      assert.deepEqual(await client.tokenIntrospection(config, token), { active: false });
    }
    const user = await signup(t.url);
    // A rotated refresh token is dead (past the grace window it would be theft).
    await call(t.url, RefreshDocument, { refreshToken: user.refreshToken });
    assert.deepEqual(await client.tokenIntrospection(config, user.refreshToken), { active: false });
  });

  it('openid-client revokes an API token and a refresh token; the next request sees it; unknown tokens are 200 too', async () => {
    const { client, config } = await clientFor(null);
    const { client: _c, config: introspecting } = await clientFor(introspector);
    const user = await signup(t.url);
    const owner = { id: user.user.id, role: 'USER' as const };
    const { token } = await t.app.services.apiTokens.create(owner, { name: 'script', scopes: ['read:profile'] }, { ip: null, userAgent: null }, owner.id);
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: token })).errors, undefined);
    await client.tokenRevocation(config, token);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: token }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    assert.deepEqual(await _c.tokenIntrospection(introspecting, token), { active: false });

    await client.tokenRevocation(config, user.refreshToken, { token_type_hint: 'refresh_token' });
    assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: user.refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    // RFC 7009 §2.1: the session's access tokens end with it.
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: user.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });

    await client.tokenRevocation(config, 'kcp_nothing');
    await client.tokenRevocation(config, 'whatever');
  });

  it('introspection without a bearer is 401 invalid_token; a session or a token without introspect is 403 insufficient_scope', async () => {
    const url = `${t.url}/oauth/introspect`;
    const none = await form(url, { token: 'x' });
    assert.equal(none.status, 401);
    assert.equal(none.json.error, 'invalid_token');
    assert.equal(typeof none.json.error_description, 'string');
    assert.equal(none.headers.get('cache-control'), 'no-store');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);

    const dead = await form(url, { token: 'x' }, { authorization: 'Bearer kcp_dead' });
    assert.equal(dead.status, 401);
    assert.equal(dead.json.error, 'invalid_token');

    const session = await form(url, { token: 'x' }, { authorization: `Bearer ${admin.accessToken}` });
    assert.equal(session.status, 403);
    assert.equal(session.json.error, 'insufficient_scope');

    const owner = { id: admin.user.id, role: 'ADMIN' as const };
    const reader = (await t.app.services.apiTokens.create(owner, { name: 'reader', scopes: ['read:users'] }, { ip: null, userAgent: null }, owner.id)).token;
    const scoped = await form(url, { token: 'x' }, { authorization: `Bearer ${reader}` });
    assert.equal(scoped.status, 403);
    assert.equal(scoped.json.error, 'insufficient_scope');
  });

  it('bad requests get the standard error body: no token, JSON instead of a form, a repeated parameter, a wrong method, an oversized body', async () => {
    const auth = { authorization: `Bearer ${introspector}` };
    const missing = await form(`${t.url}/oauth/introspect`, {}, auth);
    assert.deepEqual([missing.status, missing.json.error], [400, 'invalid_request']);

    const json = await fetch(`${t.url}/oauth/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'x' }) });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');

    const repeated = await form(`${t.url}/oauth/revoke`, 'token=a&token=b');
    assert.deepEqual([repeated.status, repeated.json.error], [400, 'invalid_request']);

    const get = await fetch(`${t.url}/oauth/revoke`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal(((await get.json()) as { error: string }).error, 'invalid_request');

    const big = await form(`${t.url}/oauth/revoke`, { token: 'x'.repeat(20_000) });
    assert.deepEqual([big.status, big.json.error], [413, 'invalid_request']);
  });

  it('answers carry Cache-Control: no-store (RFC 6749 §5.1)', async () => {
    const answer = await form(`${t.url}/oauth/revoke`, { token: 'unknown' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  });
});

describe('OAuth endpoints are rate-limited per IP', () => {
  it('past OAUTH_LIMIT_PER_IP requests in the window: 429 temporarily_unavailable with Retry-After; the metadata is not counted', async () => {
    await withTestApp({ JWT_ISSUER: ISSUER, OAUTH_LIMIT_PER_IP: '3' }, async (t) => {
      for (let i = 0; i < 3; i++) assert.equal((await form(`${t.url}/oauth/revoke`, { token: 'x' })).status, 200);
      const limited = await form(`${t.url}/oauth/revoke`, { token: 'x' });
      assert.equal(limited.status, 429);
      assert.equal(limited.json.error, 'temporarily_unavailable');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal(limited.headers.get('cache-control'), 'no-store');
      assert.equal((await form(`${t.url}/oauth/introspect`, { token: 'x' })).status, 429, 'one budget for every /oauth/* endpoint');
      assert.equal((await fetch(`${t.url}/.well-known/oauth-authorization-server`)).status, 200);
    });
  });
});

describe('OAuth endpoints are served only when JWT_ISSUER is a URL', () => {
  it('with the default issuer `keycard`, /oauth/* and the metadata answer 404 and GraphQL works as before', async () => {
    await withTestApp({}, async (t) => {
      for (const path of ['/.well-known/oauth-authorization-server', '/oauth/introspect', '/oauth/revoke']) {
        assert.equal((await fetch(`${t.url}${path}`, { method: path.startsWith('/oauth') ? 'POST' : 'GET' })).status, 404, path);
      }
      const user = await signup(t.url);
      assert.equal((await call(t.url, MeDocument, {}, { accessToken: user.accessToken })).errors, undefined);
    });
  });

  it('in production an http:// issuer does not serve them (https only)', () => {
    assert.equal(oauthIssuer({ jwtIssuer: 'http://auth.example.com', production: true }), null);
    assert.equal(oauthIssuer({ jwtIssuer: 'https://auth.example.com/', production: true }), 'https://auth.example.com');
    assert.equal(oauthIssuer({ jwtIssuer: 'http://127.0.0.1:4000', production: false }), 'http://127.0.0.1:4000');
    assert.equal(oauthIssuer({ jwtIssuer: 'keycard', production: false }), null);
    assert.equal(oauthIssuer({ jwtIssuer: 'https://auth.example.com/?x=1', production: true }), null);
  });
});
