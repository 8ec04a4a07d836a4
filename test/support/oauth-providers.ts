import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type MockServerModule = typeof import('oauth2-mock-server', { with: { 'resolution-mode': 'import' } });
const loadMockServer = () => import('oauth2-mock-server') as Promise<MockServerModule>;

export const OIDC_CLIENT_ID = 'keycard-test-client';

/**
 * A real OpenID Connect provider on loopback (oauth2-mock-server 8: discovery, JWKS, authorize
 * with PKCE, token endpoint signing real RS256 ID tokens). `claims` are merged into the next
 * tokens it signs; `idTokenOverride` replaces the next ID token whole (a token crafted with
 * another key or alg none). Only codes this provider issued are redeemed.
 */
export async function startOidcProvider() {
  const { OAuth2Server } = await loadMockServer();
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const issuer = server.issuer.url!;
  const state = {
    claims: {} as Record<string, unknown>,
    idTokenOverride: null as string | null,
    tokenRequests: 0,
  };
  const issued = new Set<string>();
  server.service.on('beforeAuthorizeRedirect', (redirect: { url: URL }) => {
    const code = redirect.url.searchParams.get('code');
    if (code) issued.add(code);
  });
  server.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    Object.assign(token.payload, state.claims);
  });
  server.service.on('beforeResponse', (response: { body: Record<string, unknown>; statusCode: number }, req: { body?: Record<string, string> }) => {
    state.tokenRequests++;
    const code = req.body?.code;
    if (!code || !issued.delete(code)) {
      response.statusCode = 400;
      response.body = { error: 'invalid_grant' };
      return;
    }
    if (state.idTokenOverride) response.body.id_token = state.idTokenOverride;
  });
  return {
    issuer,
    server,
    state,
    /** The next identity the provider vouches for; cleared overrides. */
    as(claims: Record<string, unknown>) {
      state.claims = claims;
      state.idTokenOverride = null;
    },
    close: () => server.stop(),
  };
}

export interface GithubUser {
  id: number;
  login: string;
  name: string | null;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

/**
 * A local GitHub stand-in: /login/oauth/authorize redirects straight back with a code, the token
 * endpoint checks the code (single use), the redirect URI and the PKCE verifier (S256), and the
 * API answers /user and /user/emails for the token it issued.
 */
export async function startGithubStandIn() {
  const codes = new Map<string, { challenge: string; redirectUri: string; user: GithubUser }>();
  const tokens = new Map<string, GithubUser>();
  const state = { user: null as GithubUser | null, authorizeQueries: [] as URLSearchParams[] };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      state.authorizeQueries.push(url.searchParams);
      const redirectUri = url.searchParams.get('redirect_uri')!;
      const challenge = url.searchParams.get('code_challenge');
      if (!state.user || !challenge || url.searchParams.get('code_challenge_method') !== 'S256') return json(res, 400, { error: 'invalid_request' });
      const code = crypto.randomBytes(10).toString('hex');
      codes.set(code, { challenge, redirectUri, user: state.user });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const code = form.get('code') ?? '';
        const grant = codes.get(code);
        codes.delete(code);
        const verifier = form.get('code_verifier') ?? '';
        const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
        if (!grant || grant.challenge !== challenge || grant.redirectUri !== form.get('redirect_uri')) return json(res, 400, { error: 'bad_verification_code' });
        const token = `gho_${crypto.randomBytes(16).toString('hex')}`;
        tokens.set(token, grant.user);
        json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      });
      return;
    }
    const user = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (req.method === 'GET' && url.pathname === '/user') return user ? json(res, 200, { id: user.id, login: user.login, name: user.name }) : json(res, 401, {});
    if (req.method === 'GET' && url.pathname === '/user/emails') return user ? json(res, 200, user.emails) : json(res, 401, {});
    json(res, 404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    env: { OAUTH_GITHUB_CLIENT_ID: 'gh-client', OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret', OAUTH_GITHUB_AUTHORIZE_URL: `${base}/login/oauth/authorize`, OAUTH_GITHUB_TOKEN_URL: `${base}/login/oauth/access_token`, OAUTH_GITHUB_API_URL: base },
    state,
    as(user: GithubUser) {
      state.user = user;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Follows the authorization URL as a browser would, and returns what the provider sends back to the redirect URI. */
export async function authorize(authorizationUrl: string): Promise<{ code: string; state: string; location: URL }> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) throw new Error(`the provider did not redirect back (HTTP ${response.status}: ${await response.text()})`);
  const back = new URL(location);
  return { code: back.searchParams.get('code') ?? '', state: back.searchParams.get('state') ?? '', location: back };
}
