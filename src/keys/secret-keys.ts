import crypto from 'node:crypto';

/**
 * Independent keys derived from KEYCARD_SECRET with HKDF (RFC 5869), one per purpose, so that
 * a key used to MAC CSRF tokens can never decrypt a signing key and vice versa.
 */
export interface SecretKeys {
  /** AES-256-GCM key for private signing keys at rest. */
  readonly keyEncryption: Buffer;
  /** HMAC key deriving a rotated refresh token's successor. */
  readonly refreshDerivation: crypto.KeyObject;
  /** HMAC key for CSRF tokens. */
  readonly csrf: crypto.KeyObject;
  /** HMAC key for device user codes at rest: ~37 bits are too few for a bare hash (src/tokens/device-code.ts). */
  readonly userCode: crypto.KeyObject;
  /** HMAC key for mailed one-time tokens and codes at rest (src/tokens/one-time-token.ts). */
  readonly oneTimeToken: crypto.KeyObject;
  /** AES-256-GCM key sealing the PKCE verifier of a social-login attempt at rest. */
  readonly oauthVerifier: Buffer;
}

function derive(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), `keycard/${purpose}/v1`, 32));
}

export function deriveSecretKeys(secret: Buffer): SecretKeys {
  return Object.freeze({
    keyEncryption: derive(secret, 'signing-key-encryption'),
    refreshDerivation: crypto.createSecretKey(derive(secret, 'refresh-derivation')),
    csrf: crypto.createSecretKey(derive(secret, 'csrf')),
    userCode: crypto.createSecretKey(derive(secret, 'device-user-code')),
    oneTimeToken: crypto.createSecretKey(derive(secret, 'one-time-token')),
    oauthVerifier: derive(secret, 'oauth-pkce-verifier'),
  });
}
