import crypto from 'node:crypto';

/**
 * The two codes of the device authorization grant (RFC 8628 §3.2, §6.1).
 *
 * The device code is a bearer secret the device polls with: 256 bits from the CSPRNG behind a
 * recognisable prefix, kept only as its SHA-256 (high entropy, so a fast hash is enough).
 *
 * The user code is what a person types: 8 characters from BCDFGHJKLMNPQRSTVWXZ (RFC 8628 §6.1's
 * example: 20 consonants, so no words and no O or I to read as 0 or 1, and no digits, so nothing
 * for L, S or Z to be mistaken for), shown as ABCD-EFGH. 20^8 ≈ 2.6·10^10 codes (~34.6 bits): safe only because guessing is rate-limited per
 * IP and per user (src/abuse) and codes live 10 minutes (RFC 8628 §5.1). At rest it is an HMAC
 * keyed from KEYCARD_SECRET, since a plain hash of so few bits would be reversed by enumeration.
 */
export const DEVICE_CODE_PREFIX = 'kcd_';
const DEVICE_CODE_PATTERN = /^kcd_[A-Za-z0-9_-]{43}$/;
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

export function mintDeviceCode(): string {
  return DEVICE_CODE_PREFIX + crypto.randomBytes(32).toString('base64url');
}

export function looksLikeDeviceCode(value: string): boolean {
  return DEVICE_CODE_PATTERN.test(value);
}

export function hashDeviceCode(deviceCode: string): string {
  return crypto.createHash('sha256').update(deviceCode).digest('base64url');
}

/** Eight uniform characters: crypto.randomInt rejects biased draws (no modulo bias). */
export function mintUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[crypto.randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** ABCDEFGH -> ABCD-EFGH, as people read and type it (RFC 8628 §6.1). */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What a person typed, as the canonical code: case, dashes and spaces ignored (RFC 8628 §6.1
 * "the authorization server should ... be case insensitive ... ignore punctuation"); null when
 * it cannot be a code (wrong length or a character outside the alphabet). Bounded before any
 * work so a huge argument costs nothing.
 */
export function normalizeUserCode(input: string): string | null {
  if (input.length > 32) return null;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const char of code) if (!USER_CODE_ALPHABET.includes(char)) return null;
  return code;
}

export function hashUserCode(key: crypto.KeyObject, normalizedCode: string): string {
  return crypto.createHmac('sha256', key).update(normalizedCode).digest('base64url');
}
