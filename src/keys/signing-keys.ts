import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { StoredSigningKey } from '../storage/signing-keys';
import { open, seal } from './secret-box';

/**
 * Signing keys for access tokens. The algorithm is a property of the key, never read from a
 * token (RFC 8725 §3.1), and each key is a KeyObject built once: jsonwebtoken given a string
 * rebuilds the key on every call (auth0/node-jsonwebtoken #944).
 */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256', 'PS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface PublicJwk {
  kty: string;
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: crypto.KeyObject;
  readonly publicKey: crypto.KeyObject;
  readonly publicJwk: PublicJwk;
  readonly createdAt: number;
  readonly activatesAt: number;
  readonly retiredAt: number | null;
}

export class SigningKeyDecryptionError extends Error {
  constructor(kid: string) {
    super(`signing key ${kid} cannot be decrypted: KEYCARD_SECRET is not the secret it was stored with`);
    this.name = 'SigningKeyDecryptionError';
  }
}

/** RFC 7638 JWK thumbprint: a kid that names the key itself, not a counter. */
function thumbprint(jwk: crypto.JsonWebKey): string {
  const members =
    jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return crypto.createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

const generateKeyPair = promisify(crypto.generateKeyPair);

/**
 * Off the event loop: a 3072-bit RSA key takes up to a second to find, and an automatic
 * rotation runs inside a serving process. 3072 bits is NIST SP 800-57's 128-bit level.
 */
function generatePair(alg: SigningAlgorithm): Promise<crypto.KeyPairKeyObjectResult> {
  if (alg === 'ES256') return generateKeyPair('ec', { namedCurve: 'P-256' });
  return generateKeyPair('rsa', { modulusLength: 3072 });
}

function publicJwkOf(publicKey: crypto.KeyObject, alg: SigningAlgorithm): PublicJwk {
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = thumbprint(jwk);
  return jwk.kty === 'EC'
    ? { kty: 'EC', crv: jwk.crv!, x: jwk.x!, y: jwk.y!, kid, alg, use: 'sig' }
    : { kty: 'RSA', n: jwk.n!, e: jwk.e!, kid, alg, use: 'sig' };
}

export function isSigningAlgorithm(value: string): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

export async function generateSigningKey(
  alg: SigningAlgorithm,
  encryptionKey: Buffer,
  times: { now: number; activatesAt?: number },
): Promise<StoredSigningKey> {
  const { publicKey, privateKey } = await generatePair(alg);
  const publicJwk = publicJwkOf(publicKey, alg);
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid: publicJwk.kid,
    alg,
    publicJwk: JSON.stringify(publicJwk),
    // The kid is bound as associated data: a sealed key moved to another row does not open.
    privateKeyEncrypted: seal(encryptionKey, der, publicJwk.kid),
    createdAt: new Date(times.now),
    activatesAt: new Date(times.activatesAt ?? times.now),
    retiredAt: null,
  };
}

export function loadSigningKey(stored: StoredSigningKey, encryptionKey: Buffer): SigningKey {
  if (!isSigningAlgorithm(stored.alg)) {
    throw new Error(`signing key ${stored.kid} has an unsupported algorithm ${stored.alg}`);
  }
  const der = open(encryptionKey, stored.privateKeyEncrypted, stored.kid);
  if (!der) throw new SigningKeyDecryptionError(stored.kid);
  const privateKey = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const publicKey = crypto.createPublicKey(privateKey);
  const alg = stored.alg;
  return Object.freeze({
    kid: stored.kid,
    alg,
    privateKey,
    publicKey,
    publicJwk: Object.freeze(publicJwkOf(publicKey, alg)),
    createdAt: stored.createdAt.getTime(),
    activatesAt: stored.activatesAt.getTime(),
    retiredAt: stored.retiredAt?.getTime() ?? null,
  });
}
