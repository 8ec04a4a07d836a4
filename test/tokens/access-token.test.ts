import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, beforeEach, describe, it } from 'node:test';
import { createAccessTokenService, type AccessTokenService } from '../../src/tokens/access-token';
import { createKeySet, type KeySet } from '../../src/keys/key-set';
import { ManualClock, MINUTE, SECOND } from '../support/clock';
import type { Storage } from '../../src/storage/storage';
import { openTestStorage } from '../support/storage';
import { decodeSegment, forgeJwt, hmac } from '../support/tokens';

const ISSUER = 'keycard-test';
const AUDIENCE = 'keycard-test-api';
const TTL = 15 * MINUTE;

/** Every storage the tests opened, closed after the file (a PostgreSQL pool would keep the process alive). */
const opened: Storage[] = [];
after(() => Promise.all(opened.splice(0).map((storage) => storage.close())));

async function setup() {
  const clock = new ManualClock();
  const storage = await openTestStorage();
  opened.push(storage);
  const { signingKeys } = storage;
  const keySet = await createKeySet({ repository: signingKeys, encryptionKey: crypto.randomBytes(32), clock, algorithm: 'ES256' });
  const service = createAccessTokenService({ keySet, clock, issuer: ISSUER, audience: AUDIENCE, ttlMs: TTL, clockToleranceMs: 5 * SECOND });
  return { clock, keySet, service };
}

const subject = { userId: 'user-1', sessionId: 'session-1', role: 'USER' as const };

describe('access tokens', () => {
  let clock: ManualClock;
  let keySet: KeySet;
  let service: AccessTokenService;
  let claims: Record<string, unknown>;
  let header: Record<string, unknown>;

  beforeEach(async () => {
    ({ clock, keySet, service } = await setup());
    const issued = service.issue(subject);
    claims = decodeSegment(issued.token, 1);
    header = decodeSegment(issued.token, 0);
  });

  /** Signs arbitrary claims with the real key, to test checks that come after the signature. */
  const signWithRealKey = (h: Record<string, unknown>, p: Record<string, unknown>) => {
    const key = keySet.signingKey();
    return forgeJwt(h, p, (input) => crypto.sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }));
  };

  it('carries the RFC 9068 header and claims', () => {
    assert.deepEqual(header, { alg: 'ES256', typ: 'at+jwt', kid: keySet.signingKey().kid });
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.aud, AUDIENCE);
    assert.equal(claims.sub, 'user-1');
    assert.equal(claims.sid, 'session-1');
    assert.equal(claims.role, 'USER');
    assert.equal(typeof claims.jti, 'string');
    assert.equal((claims.exp as number) - (claims.iat as number), TTL / 1000);
  });

  it("carries scope: all the role allows by default, a device session's own scopes when given; verify reads it and refuses a non-string", () => {
    assert.equal(claims.scope, 'read:profile read:sessions write:sessions read:audit');
    const device = service.issue({ ...subject, scopes: ['read:profile'] });
    assert.equal(decodeSegment(device.token, 1).scope, 'read:profile');
    const verified = service.verify(device.token);
    assert.ok(verified.ok);
    assert.equal(verified.claims.scope, 'read:profile');
    assert.deepEqual(service.verify(signWithRealKey(header, { ...claims, scope: ['read:users'] })), { ok: false, reason: 'TOKEN_INVALID' });
    const { scope: _scope, ...withoutScope } = claims;
    assert.equal(service.verify(signWithRealKey(header, withoutScope)).ok, true, 'a token minted before the claim existed still verifies');
  });

  it('verifies its own token', () => {
    const result = service.verify(service.issue(subject).token);
    assert.ok(result.ok);
    assert.equal(result.claims.sub, 'user-1');
  });

  it('#1 refuses alg none in every spelling with an ADMIN role', () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const token = forgeJwt({ ...header, alg }, { ...claims, role: 'ADMIN' });
      assert.deepEqual(service.verify(token), { ok: false, reason: 'TOKEN_INVALID' }, alg);
    }
  });

  it('#2 refuses a token with its signature removed or its payload edited', () => {
    const [h, p, s] = service.issue(subject).token.split('.');
    assert.equal(service.verify(`${h}.${p}.`).ok, false);
    assert.equal(service.verify(`${h}.${p}`).ok, false);
    const promoted = Buffer.from(JSON.stringify({ ...claims, role: 'ADMIN' })).toString('base64url');
    assert.deepEqual(service.verify(`${h}.${promoted}.${s}`), { ok: false, reason: 'TOKEN_INVALID' });
  });

  it('#3 refuses the same claims under HS256/384/512, including HMAC keyed with our public key', () => {
    const publicPem = keySet.signingKey().publicKey.export({ type: 'spki', format: 'pem' });
    const cases: Array<[string, 'sha256' | 'sha384' | 'sha512']> = [['HS256', 'sha256'], ['HS384', 'sha384'], ['HS512', 'sha512']];
    for (const [alg, hash] of cases) {
      for (const key of [publicPem, 'secret']) {
        const token = forgeJwt({ ...header, alg }, claims, hmac(hash, key));
        assert.deepEqual(service.verify(token), { ok: false, reason: 'TOKEN_INVALID' }, `${alg} with ${key === 'secret' ? 'a guessed secret' : 'the public key'}`);
      }
    }
  });

  it('#3 refuses a token signed by another ES256 key that claims our kid', () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = forgeJwt(header, claims, (input) => crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    assert.deepEqual(service.verify(token), { ok: false, reason: 'TOKEN_INVALID' });
  });

  it('#4 refuses embedded or remote keys and kids that are not ours', () => {
    const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const variants: Record<string, unknown>[] = [
      { ...header, jwk: publicKey.export({ format: 'jwk' }) },
      { ...header, jku: 'http://127.0.0.1:1/jwks.json' },
      { ...header, x5u: 'http://127.0.0.1:1/cert.pem' },
      { ...header, kid: '../../dev/null' },
      { ...header, kid: "' OR 1=1 --" },
      { ...header, kid: 42 },
      { alg: header.alg, typ: header.typ },
    ];
    for (const variant of variants) {
      assert.deepEqual(service.verify(signWithRealKey(variant, claims)), { ok: false, reason: 'TOKEN_INVALID' }, JSON.stringify(variant));
    }
  });

  it('#5 refuses a token expired beyond the clock tolerance and accepts one within it', () => {
    const { token } = service.issue(subject);
    clock.advance(TTL + 4 * SECOND);
    assert.equal(service.verify(token).ok, true);
    clock.advance(2 * SECOND);
    assert.deepEqual(service.verify(token), { ok: false, reason: 'TOKEN_EXPIRED' });
  });

  it('#5 refuses nbf in the future, a missing exp, and a lifetime longer than configured', () => {
    const now = Math.floor(clock.now() / 1000);
    const cases: Array<[string, Record<string, unknown>]> = [
      ['nbf in the future', { ...claims, nbf: now + 3600 }],
      ['no exp', Object.fromEntries(Object.entries(claims).filter(([k]) => k !== 'exp'))],
      ['no iat', Object.fromEntries(Object.entries(claims).filter(([k]) => k !== 'iat'))],
      ['exp - iat longer than the TTL', { ...claims, exp: now + 24 * 3600 }],
      ['iat in the future', { ...claims, iat: now + 3600, exp: now + 3600 + 60 }],
    ];
    for (const [name, payload] of cases) {
      assert.deepEqual(service.verify(signWithRealKey(header, payload)), { ok: false, reason: 'TOKEN_INVALID' }, name);
    }
  });

  it('#6 refuses a wrong or missing iss or aud, and a typ other than at+jwt', () => {
    const noTyp = Object.fromEntries(Object.entries(header).filter(([k]) => k !== 'typ'));
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['wrong iss', header, { ...claims, iss: 'someone-else' }],
      ['missing iss', header, Object.fromEntries(Object.entries(claims).filter(([k]) => k !== 'iss'))],
      ['wrong aud', header, { ...claims, aud: 'another-api' }],
      ['missing aud', header, Object.fromEntries(Object.entries(claims).filter(([k]) => k !== 'aud'))],
      ['typ JWT', { ...header, typ: 'JWT' }, claims],
      ['typ refresh+jwt', { ...header, typ: 'refresh+jwt' }, claims],
      ['no typ', noTyp, claims],
    ];
    for (const [name, h, p] of cases) {
      assert.deepEqual(service.verify(signWithRealKey(h, p)), { ok: false, reason: 'TOKEN_INVALID' }, name);
    }
  });

  it('#6 refuses claims of the wrong shape: unknown role, missing sid or jti', () => {
    for (const payload of [{ ...claims, role: 'ROOT' }, { ...claims, sid: undefined }, { ...claims, jti: 7 }]) {
      assert.deepEqual(service.verify(signWithRealKey(header, payload)), { ok: false, reason: 'TOKEN_INVALID' });
    }
  });

  it('#7 malformed tokens get TOKEN_INVALID, never an exception', () => {
    const huge = 'A'.repeat(100 * 1024);
    const inputs = ['', 'a', 'a.b', 'a.b.c.d', '...', '!!!.@@@.###', `${huge}.e30.sig`, `e30.${huge}.sig`, 'bnVsbA.bnVsbA.c2ln', 'W10.e30.c2ln'];
    for (const input of inputs) {
      assert.deepEqual(service.verify(input), { ok: false, reason: 'TOKEN_INVALID' }, input.slice(0, 20));
    }
  });

  it('pins the algorithm to the key: a token signed by the key but labelled ES384 is refused', () => {
    assert.equal(service.verify(signWithRealKey({ ...header, alg: 'ES384' }, claims)).ok, false);
  });
});
