import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { MeDocument } from '../../src/client/generated/graphql';
import { DEFAULT_ACTIVATION_DELAY_MS } from '../../src/keys/key-set';
import { ManualClock } from '../support/clock';
import { startTestApp, withTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, signup } from '../support/graphql';
import { createSharedTestDatabase, type SharedTestDatabase } from '../support/shared-database';
import { decodeSegment } from '../support/tokens';

// jose 6 is ESM-only and this project compiles to CommonJS: load it at run time. Its verifier is
// the independent check that the JWKS alone is enough for another service (RFC 7517, RFC 9068).
type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
const loadJose = () => import('jose') as Promise<Jose>;

interface Jwks {
  keys: Array<Record<string, unknown> & { kid: string; alg: string }>;
}

async function fetchJwks(url: string): Promise<{ jwks: Jwks; cacheControl: string | null }> {
  const response = await fetch(`${url}/.well-known/jwks.json`);
  assert.equal(response.status, 200);
  return { jwks: (await response.json()) as Jwks, cacheControl: response.headers.get('cache-control') };
}

/** A verifier that knows nothing of Keycard but its JWKS URL, issuer and audience. */
async function remoteVerifier(t: TestApp) {
  const jose = await loadJose();
  // A long cooldown: an unknown kid must not trigger a refetch during the test, so a pass
  // proves the key was already in the set this verifier fetched.
  const keys = jose.createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`), { cooldownDuration: 10 * 60_000, cacheMaxAge: 10 * 60_000 });
  return (token: string, algorithms: string[] = ['ES256']) =>
    jose.jwtVerify(token, keys, {
      issuer: t.config.jwtIssuer,
      audience: t.config.jwtAudience,
      typ: 'at+jwt',
      algorithms,
      currentDate: new Date(t.clock.now()),
    });
}

async function meAs(t: TestApp, accessToken: string) {
  return call(t.url, MeDocument, {}, { accessToken });
}

describe('JWKS and key rotation', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('serves only public members, with kid, alg and use "sig", cacheable for 300 s', async () => {
    const { jwks, cacheControl } = await fetchJwks(t.url);
    assert.equal(cacheControl, 'public, max-age=300');
    assert.equal(jwks.keys.length, 1);
    const [key] = jwks.keys;
    assert.deepEqual(Object.keys(key!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    assert.deepEqual({ alg: key!.alg, use: key!.use, kid: key!.kid }, { alg: 'ES256', use: 'sig', kid: t.app.keySet.signingKey().kid });
  });

  it('jose verifies a Keycard access token with nothing but the JWKS URL', async () => {
    const verify = await remoteVerifier(t);
    const { accessToken, user } = await signup(t.url);
    const { payload, protectedHeader } = await verify(accessToken);
    assert.equal(payload.sub, user.id);
    assert.deepEqual({ alg: protectedHeader.alg, typ: protectedHeader.typ }, { alg: 'ES256', typ: 'at+jwt' });
  });

  it('a token whose kid is not in the set is refused as TOKEN_INVALID', async () => {
    const { user } = await signup(t.url);
    const foreign = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const iat = Math.floor(t.clock.now() / 1000);
    const token = jwt.sign(
      { iss: t.config.jwtIssuer, aud: t.config.jwtAudience, sub: user.id, sid: crypto.randomUUID(), role: 'ADMIN', jti: 'j', iat, exp: iat + 60 },
      foreign,
      { algorithm: 'ES256', header: { alg: 'ES256', typ: 'at+jwt', kid: 'kid-of-another-issuer' } },
    );
    const me = await meAs(t, token);
    assertErrorCode(me, 'UNAUTHENTICATED', { reason: 'TOKEN_INVALID' });
  });
});

describe('rotation without logouts', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('the new key is published before it signs; old and new tokens verify in Keycard and in jose; the old key retires after its last token', async () => {
    const first = await signup(t.url);
    const oldKid = decodeSegment(first.accessToken, 0).kid as string;

    const newKid = await t.app.keySet.rotate();
    // Fetched after the rotation, before activation: this verifier never refetches below.
    const verify = await remoteVerifier(t);
    assert.deepEqual((await fetchJwks(t.url)).jwks.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());

    t.clock.advance(DEFAULT_ACTIVATION_DELAY_MS);
    const second = await signup(t.url);
    assert.equal(decodeSegment(second.accessToken, 0).kid, newKid);

    for (const { accessToken, user } of [first, second]) {
      assert.equal((await meAs(t, accessToken)).data?.me?.id, user.id);
      assert.equal((await verify(accessToken)).payload.sub, user.id);
    }

    // The first token was signed just before the new key activated: it lives until activation + TTL,
    // is accepted CLOCK_TOLERANCE longer, and its key is published exactly that long.
    const retiresAt = t.clock.now() + t.config.accessTokenTtlMs + t.config.clockToleranceMs;
    t.clock.set(retiresAt - 1);
    await t.app.keySet.reload();
    assert.deepEqual((await fetchJwks(t.url)).jwks.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());
    t.clock.set(retiresAt);
    await t.app.keySet.reload();
    assert.deepEqual((await fetchJwks(t.url)).jwks.keys.map((k) => k.kid), [newKid]);
    assertErrorCode(await meAs(t, first.accessToken), 'UNAUTHENTICATED', { reason: 'TOKEN_INVALID' });
    const stored = (await t.app.storage.signingKeys.list()).find((key) => key.kid === oldKid)!;
    assert.equal(stored.retiredAt?.getTime(), retiresAt);
  });
});

for (const alg of ['RS256', 'PS256'] as const) {
  describe(`JWT_ALG=${alg}`, () => {
    let t: TestApp;
    beforeEach(async () => {
      t = await startTestApp({ JWT_ALG: alg });
    });
    afterEach(() => t.close());

    it(`signs ${alg} tokens that Keycard and jose verify from an RSA JWKS`, async () => {
      const { accessToken, user } = await signup(t.url);
      assert.equal(decodeSegment(accessToken, 0).alg, alg);
      const { jwks } = await fetchJwks(t.url);
      assert.deepEqual(jwks.keys.map((k) => [k.kty, k.alg]), [['RSA', alg]]);
      assert.equal((await meAs(t, accessToken)).data?.me?.id, user.id);
      const verify = await remoteVerifier(t);
      assert.equal((await verify(accessToken, [alg])).payload.sub, user.id);
    });
  });
}

describe('KEYS_RELOAD_INTERVAL', () => {
  let database: SharedTestDatabase;
  beforeEach(async () => {
    database = await createSharedTestDatabase();
  });
  afterEach(async () => {
    await database.remove();
  });

  it('a rotation made by another instance reaches a running server at its next reload interval, without a restart', async (ctx) => {
    // The reload timer runs on mocked time: the test moves it, so the reload happens exactly
    // when the interval has passed, never earlier and never by luck of the wall clock.
    ctx.mock.timers.enable({ apis: ['setInterval'] });
    const env = { DATABASE_URL: database.url, KEYS_RELOAD_INTERVAL: '1s' };
    const clock = new ManualClock();
    const serving = await startTestApp(env, { clock });
    try {
      await withTestApp(env, async (other) => {
        const reloads = ctx.mock.method(serving.app.keySet, 'reload');
        const interval = serving.config.keysReloadIntervalMs;
        const published = async () => (await fetchJwks(serving.url)).jwks.keys.map((k) => k.kid);

        const added = await other.app.keySet.rotate();
        ctx.mock.timers.tick(interval - 1);
        assert.equal(reloads.mock.callCount(), 0, 'no reload before the interval has passed');
        assert.ok(!(await published()).includes(added), 'the serving instance has not read storage yet');

        ctx.mock.timers.tick(1);
        assert.equal(reloads.mock.callCount(), 1, 'one reload once the interval has passed');
        await reloads.mock.calls[0]!.result;
        const kids = await published();
        assert.ok(kids.includes(added), `the serving instance still publishes only ${kids.join(', ')}`);
      }, { clock });
    } finally {
      await serving.close();
    }
  });
});
