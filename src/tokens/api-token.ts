import crypto from 'node:crypto';

/**
 * Personal access tokens (contract.md, "API tokens, scopes, introspection"): `kcp_`, 43
 * base62 characters of randomness (256 bits), and 6 base62 characters of CRC32 over the
 * prefix and the body. Like GitHub's `ghp_` tokens, the fixed prefix lets a secret scanner
 * find one in a commit or a log, and the checksum lets it tell a real one from a look-alike
 * without asking us; we also refuse a mistyped token before any database read.
 */
export const API_TOKEN_PREFIX = 'kcp_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 62^43 > 2^256: 43 characters carry the full 256 bits. */
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
export const API_TOKEN_LENGTH = API_TOKEN_PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH;
const SHAPE = new RegExp(`^${API_TOKEN_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);
/** How much of the token is kept in clear to recognise it in a list: the prefix and 4 characters (24 bits, useless to a guesser). */
export const API_TOKEN_DISPLAY_LENGTH = API_TOKEN_PREFIX.length + 4;

function base62(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value % 62n)]! + out;
    value /= 62n;
  }
  return out;
}

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'latin1')) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function checksumOf(prefixAndBody: string): string {
  return base62(BigInt(crc32(prefixAndBody)), CHECKSUM_LENGTH);
}

/** A new token: 256 bits from the CSPRNG, encoded without modulo bias (the bigint is reduced exactly). */
export function mintApiToken(): string {
  const body = base62(BigInt('0x' + crypto.randomBytes(32).toString('hex')), BODY_LENGTH);
  const head = API_TOKEN_PREFIX + body;
  return head + checksumOf(head);
}

/** The shape and the checksum: true for a token we could have minted (whether it exists is the database's to say). */
export function looksLikeApiToken(token: string): boolean {
  if (!SHAPE.test(token)) return false;
  const head = token.slice(0, API_TOKEN_PREFIX.length + BODY_LENGTH);
  return checksumOf(head) === token.slice(head.length);
}

/**
 * What is stored: SHA-256 of the token. A slow password hash protects low-entropy secrets
 * against guessing; a 256-bit random token cannot be guessed, so a fast hash is enough and
 * keeps the lookup an indexed equality (as for refresh tokens). A database leak gives no token.
 */
export function hashApiToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url');
}

export function apiTokenDisplayPrefix(token: string): string {
  return token.slice(0, API_TOKEN_DISPLAY_LENGTH);
}

const DURATION = /^([1-9][0-9]{0,5})([smhd])$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** No token lives longer than this when an expiry is asked for (about ten years; none asked = no expiry). */
export const MAX_API_TOKEN_LIFETIME_MS = 3650 * UNIT_MS.d;

/** `expiresIn` such as "90d", "1h", "30s" in milliseconds; null when it is not such a duration. */
export function parseExpiresIn(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms <= MAX_API_TOKEN_LIFETIME_MS ? ms : null;
}
