import crypto from 'node:crypto';

/**
 * Opaque refresh tokens: a recognisable prefix (so secret scanners and people can tell what
 * leaked) and 256 bits from the CSPRNG (ASVS V7.2.3, RFC 9700 §4.14). Only a SHA-256 hash is
 * stored: the token is high-entropy, so a fast hash is enough and a database leak yields nothing usable.
 */
export const REFRESH_TOKEN_PREFIX = 'kcr_';
const TOKEN_PATTERN = /^kcr_[A-Za-z0-9_-]{43}$/;

/**
 * Values drawn from a buffer refilled 4 KiB at a time, as Node does for randomUUID: one CSPRNG
 * call per 128 values and no new ArrayBuffer per value. randomBytes(32) per call was ~4% of a
 * refresh under load (measured). Each value is handed out once.
 */
function createRandomValueSource(bytesPerValue: number, valuesPerRefill: number): () => string {
  const pool = Buffer.alloc(bytesPerValue * valuesPerRefill);
  let offset = pool.length;
  return () => {
    if (offset === pool.length) {
      crypto.randomFillSync(pool);
      offset = 0;
    }
    const value = pool.toString('base64url', offset, offset + bytesPerValue);
    offset += bytesPerValue;
    return value;
  };
}

export interface RefreshTokenRandomness {
  /** A new refresh token: the prefix and 256 bits from the CSPRNG. */
  mintRefreshToken(): string;
  /** A fresh 256-bit nonce for one rotation (see deriveSuccessor). */
  newRotationNonce(): string;
}

export function createRefreshTokenRandomness(): RefreshTokenRandomness {
  const random256 = createRandomValueSource(32, 128);
  return {
    mintRefreshToken: () => REFRESH_TOKEN_PREFIX + random256(),
    newRotationNonce: random256,
  };
}

export function hashRefreshToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url');
}

/** Cheap shape check before any database work; anything else is UNKNOWN. */
export function looksLikeRefreshToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/**
 * The successor of a rotated token is HMAC(key, token || nonce), with a fresh 256-bit nonce kept
 * beside the rotated token's hash. A retry inside the reuse grace window (two tabs refreshing at
 * once) then gets the very same successor back instead of forking the family, and without the
 * presented token and the server secret the stored nonce is worthless.
 */
export function deriveSuccessor(key: crypto.KeyObject, token: string, nonce: string): string {
  return REFRESH_TOKEN_PREFIX + crypto.createHmac('sha256', key).update(token).update('.').update(nonce).digest('base64url');
}
