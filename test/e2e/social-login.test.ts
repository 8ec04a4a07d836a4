import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  AuthProvidersDocument,
  ChangePasswordDocument,
  CompleteOAuthLoginDocument,
  LinkIdentityDocument,
  LoginDocument,
  MyIdentitiesDocument,
  StartOAuthLoginDocument,
  UnlinkIdentityDocument,
} from '../../src/client/generated/graphql';
import { ManualClock, MINUTE } from '../support/clock';
import { startTestApp, withTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, PASSWORD, signup, uniqueEmail } from '../support/graphql';
import { authorize, OIDC_CLIENT_ID, startGithubStandIn, startOidcProvider } from '../support/oauth-providers';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
const loadJose = () => import('jose') as Promise<Jose>;

const REDIRECT = 'http://127.0.0.1:5173/oauth/callback';
const MOBILE_REDIRECT = 'com.example.keycard:/oauth';

describe('social login against a local OpenID Connect provider and a GitHub stand-in', () => {
  let t: TestApp;
  let oidc: Awaited<ReturnType<typeof startOidcProvider>>;
  let github: Awaited<ReturnType<typeof startGithubStandIn>>;

  before(async () => {
    oidc = await startOidcProvider();
    github = await startGithubStandIn();
    // The app's clock starts at the real time: the provider signs ID tokens with the real time.
    t = await startTestApp(
      {
        OAUTH_PROVIDERS: 'acme,github',
        OAUTH_ACME_CLIENT_ID: OIDC_CLIENT_ID,
        OAUTH_ACME_CLIENT_SECRET: 'acme-secret',
        OAUTH_ACME_ISSUER: oidc.issuer,
        OAUTH_REDIRECT_URIS: `${REDIRECT},${MOBILE_REDIRECT}`,
        ...github.env,
        // Many failures are provoked on purpose here; the limit has its own test below.
        LOGIN_LIMIT_PER_IP: '1000',
      },
      { clock: new ManualClock(Date.now()) },
    );
  });
  after(async () => {
    await t?.close();
    await oidc?.close();
    await github?.close();
  });

  async function start(provider: string, redirectUri = REDIRECT, options: { link?: boolean; accessToken?: string } = {}) {
    const result = await call(t.url, StartOAuthLoginDocument, { provider, redirectUri, link: options.link }, { accessToken: options.accessToken });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data!.startOAuthLogin;
  }

  async function complete(provider: string, code: string, state: string, delivery?: 'COOKIE') {
    return call(t.url, CompleteOAuthLoginDocument, { provider, code, state, delivery });
  }

  /** start -> provider -> complete, as a person named by `claims` at the OIDC provider. */
  async function oidcLogin(claims: Record<string, unknown>) {
    oidc.as(claims);
    const { authorizationUrl } = await start('acme');
    const back = await authorize(authorizationUrl);
    return complete('acme', back.code, back.state);
  }

  function person(overrides: Record<string, unknown> = {}) {
    return { sub: crypto.randomUUID(), email: uniqueEmail('oidc'), email_verified: true, ...overrides };
  }

  it('lists the configured providers publicly, by id and name', async () => {
    const result = await call(t.url, AuthProvidersDocument, {});
    assert.deepEqual(result.data?.authProviders, [
      { id: 'acme', name: 'Acme' },
      { id: 'github', name: 'GitHub' },
    ]);
  });

  it("sends the person to the provider with PKCE S256, the payload's state and a nonce", async () => {
    const { authorizationUrl, state } = await start('acme');
    const url = new URL(authorizationUrl);
    assert.equal(url.origin, new URL(oidc.issuer).origin);
    assert.equal(url.searchParams.get('state'), state);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(url.searchParams.get('nonce') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT);
    const gh = new URL((await start('github')).authorizationUrl);
    assert.equal(gh.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(gh.searchParams.get('nonce'), null);
  });

  it('a first login creates a verified account with no password; a return signs in to the same account', async () => {
    const claims = person();
    const first = await oidcLogin(claims);
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    const payload = first.data!.completeOAuthLogin;
    assert.ok(payload.accessToken && payload.refreshToken);
    assert.equal(payload.user.email, claims.email);
    const stored = (await t.app.storage.users.findById(payload.user.id))!;
    assert.equal(stored.passwordHash, null);
    assert.ok(stored.emailVerifiedAt, 'the provider verified the email');
    const identities = await call(t.url, MyIdentitiesDocument, {}, { accessToken: payload.accessToken });
    assert.deepEqual(
      identities.data?.me?.identities?.map((i) => [i.provider, i.email]),
      [['acme', claims.email]],
    );
    const again = await oidcLogin(claims);
    assert.equal(again.errors, undefined);
    assert.equal(again.data!.completeOAuthLogin.user.id, payload.user.id);
    // The manual clock stands still: events share a time, so they are compared as a set.
    const events = (await t.app.audit.page({ first: 20, userId: payload.user.id })).rows.map((row) => [row.type, row.detail?.via ?? row.detail?.provider]);
    assert.deepEqual(events.sort(), [
      ['LOGIN_SUCCEEDED', 'oauth'],
      ['LOGIN_SUCCEEDED', 'signup'],
      ['SIGNUP', 'acme'],
    ]);
  });

  it('stores the state only as its SHA-256 and the PKCE verifier sealed, never in clear', async () => {
    const { authorizationUrl, state } = await start('acme');
    const stored = await t.app.storage.oauth.consumeState(crypto.createHash('sha256').update(state).digest('hex'), new Date(t.clock.now()));
    assert.ok(stored);
    assert.equal(stored.purpose, 'LOGIN');
    assert.equal(stored.redirectUri, REDIRECT);
    assert.equal(stored.nonce, new URL(authorizationUrl).searchParams.get('nonce'));
    assert.match(stored.codeVerifierSealed, /^v1\./);
    assert.ok(!JSON.stringify(stored).includes(state), 'no state in clear');
  });

  it('an account made by social login: password login is INVALID_CREDENTIALS, changePassword is FORBIDDEN NO_PASSWORD', async () => {
    const claims = person();
    const payload = (await oidcLogin(claims)).data!.completeOAuthLogin;
    assertErrorCode(await call(t.url, LoginDocument, { input: { email: claims.email as string, password: PASSWORD } }), 'INVALID_CREDENTIALS');
    const change = await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: 'another long passphrase' }, { accessToken: payload.accessToken });
    assertErrorCode(change, 'FORBIDDEN', { reason: 'NO_PASSWORD' });
  });

  it('an unverified local account is never taken over by a provider email, verified or not (ACCOUNT_EXISTS)', async () => {
    const email = uniqueEmail('victim');
    const victim = await signup(t.url, { email });
    assertErrorCode(await oidcLogin(person({ email, email_verified: true })), 'OAUTH_FAILED', { reason: 'ACCOUNT_EXISTS' });
    assertErrorCode(await oidcLogin(person({ email, email_verified: false })), 'OAUTH_FAILED', { reason: 'ACCOUNT_EXISTS' });
    assert.deepEqual(await t.app.storage.oauth.listIdentities(victim.user.id), []);
  });

  it('a verified account links only a verified provider email; the string "false" is not verified', async () => {
    const email = uniqueEmail('verified');
    // An account whose email is verified, as the email-verification flow leaves it.
    const id = crypto.randomUUID();
    await t.app.storage.users.create(
      { id, email, passwordHash: 'unused', displayName: 'Owner', role: 'USER', createdAt: new Date(t.clock.now()), emailVerifiedAt: new Date(t.clock.now()) },
      { type: 'SIGNUP', userId: id },
    );
    assertErrorCode(await oidcLogin(person({ email, email_verified: 'false' })), 'OAUTH_FAILED', { reason: 'ACCOUNT_EXISTS' });
    assertErrorCode(await oidcLogin(person({ email, email_verified: false })), 'OAUTH_FAILED', { reason: 'ACCOUNT_EXISTS' });
    const linked = await oidcLogin(person({ email, email_verified: true }));
    assert.equal(linked.errors, undefined, JSON.stringify(linked.errors));
    assert.equal(linked.data!.completeOAuthLogin.user.id, id);
    assert.equal((await t.app.storage.oauth.listIdentities(id)).length, 1);
  });

  it('a state is single use: the replay is STATE_INVALID, and the failure is audited', async () => {
    oidc.as(person());
    const { authorizationUrl } = await start('acme');
    const back = await authorize(authorizationUrl);
    assert.equal((await complete('acme', back.code, back.state)).errors, undefined);
    assertErrorCode(await complete('acme', back.code, back.state), 'OAUTH_FAILED', { reason: 'STATE_INVALID' });
    const failures = await t.app.audit.page({ first: 100, type: 'OAUTH_FAILED' });
    assert.ok(failures.rows.some((row) => row.detail?.reason === 'STATE_INVALID'));
  });

  it("another provider's state, an unknown state and an expired state are STATE_INVALID", async () => {
    github.as({ id: 1, login: 'x', name: null, emails: [] });
    const gh = await authorize((await start('github')).authorizationUrl);
    assertErrorCode(await complete('acme', gh.code, gh.state), 'OAUTH_FAILED', { reason: 'STATE_INVALID' });
    assertErrorCode(await complete('acme', 'code', 'not-a-state'), 'OAUTH_FAILED', { reason: 'STATE_INVALID' });
    oidc.as(person());
    const back = await authorize((await start('acme')).authorizationUrl);
    t.clock.advance(10 * MINUTE + 1000);
    try {
      assertErrorCode(await complete('acme', back.code, back.state), 'OAUTH_FAILED', { reason: 'STATE_INVALID' });
    } finally {
      t.clock.set(Date.now());
    }
  });

  it('a tampered code is PROVIDER_ERROR, an unknown provider UNKNOWN_PROVIDER', async () => {
    oidc.as(person());
    const back = await authorize((await start('acme')).authorizationUrl);
    assertErrorCode(await complete('acme', `${back.code}x`, back.state), 'OAUTH_FAILED', { reason: 'PROVIDER_ERROR' });
    assertErrorCode(await call(t.url, StartOAuthLoginDocument, { provider: 'nope', redirectUri: REDIRECT }), 'OAUTH_FAILED', { reason: 'UNKNOWN_PROVIDER' });
  });

  it('a redirect URI not exactly in OAUTH_REDIRECT_URIS is refused; a custom-scheme one for mobile is accepted', async () => {
    for (const redirectUri of [`${REDIRECT}/../evil`, `${REDIRECT}?next=https://evil.example`, `${REDIRECT}x`, 'https://evil.example/oauth/callback', REDIRECT.toUpperCase()]) {
      assertErrorCode(await call(t.url, StartOAuthLoginDocument, { provider: 'acme', redirectUri }), 'OAUTH_FAILED', { reason: 'REDIRECT_URI_NOT_ALLOWED' });
    }
    oidc.as(person());
    const mobile = await start('acme', MOBILE_REDIRECT);
    const back = await authorize(mobile.authorizationUrl);
    assert.equal(back.location.protocol, 'com.example.keycard:');
    assert.equal((await complete('acme', back.code, back.state)).errors, undefined);
  });

  describe('ID tokens that fail verification are ID_TOKEN_INVALID', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases: Array<[string, (nonce: string) => Promise<{ claims?: Record<string, unknown>; token?: string }>]> = [
      ['a wrong nonce', async () => ({ claims: { nonce: 'another-nonce' } })],
      ['a wrong audience', async () => ({ claims: { aud: 'another-client' } })],
      ['a wrong issuer', async () => ({ claims: { iss: 'http://127.0.0.1:1/evil' } })],
      ['an expired token', async () => ({ claims: { iat: now() - 7200, exp: now() - 3600 } })],
      [
        'alg none',
        async (nonce) => {
          const { UnsecuredJWT } = await loadJose();
          return { token: new UnsecuredJWT({ sub: 'attacker', nonce, email: uniqueEmail('none'), email_verified: true }).setIssuer(oidc.issuer).setAudience(OIDC_CLIENT_ID).setIssuedAt().setExpirationTime('5m').encode() };
        },
      ],
      [
        'a token signed by another key (same kid)',
        async (nonce) => {
          const jose = await loadJose();
          const { privateKey } = await jose.generateKeyPair('RS256');
          const kid = (oidc.server.issuer.keys.toJSON() as Array<{ kid?: string }>)[0]!.kid!;
          const token = await new jose.SignJWT({ sub: 'attacker', nonce, email: uniqueEmail('forged'), email_verified: true })
            .setProtectedHeader({ alg: 'RS256', kid })
            .setIssuer(oidc.issuer)
            .setAudience(OIDC_CLIENT_ID)
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(privateKey);
          return { token };
        },
      ],
      [
        'an HS256 token keyed with the client secret',
        async (nonce) => {
          const jose = await loadJose();
          const token = await new jose.SignJWT({ sub: 'attacker', nonce, email: uniqueEmail('hs'), email_verified: true })
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuer(oidc.issuer)
            .setAudience(OIDC_CLIENT_ID)
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode('acme-secret'));
          return { token };
        },
      ],
    ];
    for (const [name, craft] of cases) {
      it(name, async () => {
        const { authorizationUrl } = await start('acme');
        const nonce = new URL(authorizationUrl).searchParams.get('nonce')!;
        const { claims = {}, token = null } = await craft(nonce);
        oidc.as(person(claims));
        oidc.state.idTokenOverride = token;
        const back = await authorize(authorizationUrl);
        const result = await complete('acme', back.code, back.state);
        assertErrorCode(result, 'OAUTH_FAILED', { reason: 'ID_TOKEN_INVALID' });
        oidc.state.idTokenOverride = null;
      });
    }
  });

  it('cookie delivery: the refresh token goes only into the HttpOnly cookie, like login', async () => {
    oidc.as(person());
    const back = await authorize((await start('acme')).authorizationUrl);
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($c: String!, $s: String!) { completeOAuthLogin(provider: "acme", code: $c, state: $s, delivery: COOKIE) { accessToken refreshToken csrfToken } }',
        variables: { c: back.code, s: back.state },
      }),
    });
    const body = (await response.json()) as { data: { completeOAuthLogin: { accessToken: string; refreshToken: string | null; csrfToken: string | null } } };
    assert.ok(body.data.completeOAuthLogin.accessToken);
    assert.equal(body.data.completeOAuthLogin.refreshToken, null);
    assert.ok(body.data.completeOAuthLogin.csrfToken);
    const cookies = response.headers.getSetCookie().join('\n');
    assert.match(cookies, /HttpOnly/);
    assert.match(cookies, /SameSite=Strict/);
  });

  it('linkIdentity links a provider to the signed-in account that started with link: true; its state cannot sign in', async () => {
    const owner = await signup(t.url);
    const claims = person({ email: uniqueEmail('other-address') });
    oidc.as(claims);
    assertErrorCode(await call(t.url, StartOAuthLoginDocument, { provider: 'acme', redirectUri: REDIRECT, link: true }), 'UNAUTHENTICATED');
    const linking = await start('acme', REDIRECT, { link: true, accessToken: owner.accessToken });
    const back = await authorize(linking.authorizationUrl);
    const linked = await call(t.url, LinkIdentityDocument, { provider: 'acme', code: back.code, state: back.state }, { accessToken: owner.accessToken });
    assert.equal(linked.errors, undefined, JSON.stringify(linked.errors));
    assert.equal(linked.data!.linkIdentity.provider, 'acme');
    // The provider now signs in to the owner's account.
    assert.equal((await oidcLogin(claims)).data!.completeOAuthLogin.user.id, owner.user.id);
    // A LINK state is refused by completeOAuthLogin, and a LOGIN state by linkIdentity.
    const other = await authorize((await start('acme', REDIRECT, { link: true, accessToken: owner.accessToken })).authorizationUrl);
    assertErrorCode(await complete('acme', other.code, other.state), 'OAUTH_FAILED', { reason: 'STATE_INVALID' });
    const login = await authorize((await start('acme')).authorizationUrl);
    assertErrorCode(await call(t.url, LinkIdentityDocument, { provider: 'acme', code: login.code, state: login.state }, { accessToken: owner.accessToken }), 'OAUTH_FAILED', {
      reason: 'STATE_INVALID',
    });
  });

  it("linking an identity that belongs to another account is ACCOUNT_EXISTS", async () => {
    const claims = person();
    await oidcLogin(claims);
    const owner = await signup(t.url);
    oidc.as(claims);
    const back = await authorize((await start('acme', REDIRECT, { link: true, accessToken: owner.accessToken })).authorizationUrl);
    assertErrorCode(await call(t.url, LinkIdentityDocument, { provider: 'acme', code: back.code, state: back.state }, { accessToken: owner.accessToken }), 'OAUTH_FAILED', {
      reason: 'ACCOUNT_EXISTS',
    });
  });

  it('unlinkIdentity refuses the last way to sign in, and removes one of two', async () => {
    const payload = (await oidcLogin(person())).data!.completeOAuthLogin;
    const [only] = (await call(t.url, MyIdentitiesDocument, {}, { accessToken: payload.accessToken })).data!.me!.identities!;
    assertErrorCode(await call(t.url, UnlinkIdentityDocument, { id: only!.id }, { accessToken: payload.accessToken }), 'OAUTH_FAILED', { reason: 'LAST_SIGN_IN_METHOD' });
    github.as({ id: 900_000 + Math.floor(Math.random() * 1000), login: 'second', name: 'Second', emails: [] });
    const back = await authorize((await start('github', REDIRECT, { link: true, accessToken: payload.accessToken })).authorizationUrl);
    assert.equal((await call(t.url, LinkIdentityDocument, { provider: 'github', code: back.code, state: back.state }, { accessToken: payload.accessToken })).errors, undefined);
    const unlinked = await call(t.url, UnlinkIdentityDocument, { id: only!.id }, { accessToken: payload.accessToken });
    assert.equal(unlinked.data?.unlinkIdentity, true);
    assert.deepEqual((await call(t.url, MyIdentitiesDocument, {}, { accessToken: payload.accessToken })).data!.me!.identities!.map((i) => i.provider), ['github']);
    assertErrorCode(await call(t.url, UnlinkIdentityDocument, { id: only!.id }, { accessToken: payload.accessToken }), 'NOT_FOUND');
  });

  it('GitHub: the numeric id is the subject and a verified primary email makes a verified account; a wrong PKCE-bound code is PROVIDER_ERROR', async () => {
    const email = uniqueEmail('gh');
    const id = 100_000 + Math.floor(Math.random() * 100_000);
    github.as({ id, login: 'octo', name: 'Octo', emails: [{ email: 'old@example.com', primary: false, verified: false }, { email, primary: true, verified: true }] });
    const back = await authorize((await start('github')).authorizationUrl);
    const result = await complete('github', back.code, back.state);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const user = (await t.app.storage.users.findById(result.data!.completeOAuthLogin.user.id))!;
    assert.equal(user.email, email);
    assert.ok(user.emailVerifiedAt);
    assert.equal((await t.app.storage.oauth.findIdentity('github', String(id)))?.userId, user.id);
    const again = await authorize((await start('github')).authorizationUrl);
    assertErrorCode(await complete('github', 'forged', again.state), 'OAUTH_FAILED', { reason: 'PROVIDER_ERROR' });
  });

  it('GitHub: an unverified email matching an account is ACCOUNT_EXISTS', async () => {
    const email = uniqueEmail('gh-victim');
    await signup(t.url, { email });
    github.as({ id: 300_000 + Math.floor(Math.random() * 100_000), login: 'mallory', name: null, emails: [{ email, primary: true, verified: false }] });
    const back = await authorize((await start('github')).authorizationUrl);
    assertErrorCode(await complete('github', back.code, back.state), 'OAUTH_FAILED', { reason: 'ACCOUNT_EXISTS' });
  });

  it('failed social-login steps are rate-limited per IP (LOGIN_LIMIT_PER_IP): then RATE_LIMITED with retryAfter', async () => {
    await withTestApp({ OAUTH_PROVIDERS: 'acme', OAUTH_ACME_CLIENT_ID: OIDC_CLIENT_ID, OAUTH_ACME_ISSUER: oidc.issuer, OAUTH_REDIRECT_URIS: REDIRECT, LOGIN_LIMIT_PER_IP: '2' }, async (app) => {
      for (let i = 0; i < 2; i++) {
        assertErrorCode(await call(app.url, CompleteOAuthLoginDocument, { provider: 'acme', code: 'c', state: `replayed-${i}` }), 'OAUTH_FAILED', { reason: 'STATE_INVALID' });
      }
      const limited = await call(app.url, CompleteOAuthLoginDocument, { provider: 'acme', code: 'c', state: 'third' });
      assertErrorCode(limited, 'RATE_LIMITED');
      assert.ok(Number(limited.errors![0]!.extensions!.retryAfter) > 0);
    });
  });
});
