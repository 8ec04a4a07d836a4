import crypto from 'node:crypto';
import type { OneTimePurpose } from '../storage/one-time-tokens';

/**
 * Mailed one-time tokens (contract.md, "Email links and one-time tokens"). Each mail carries a
 * link token (256 bits, for the link) and a short code (for typing in, which survives mail
 * scanners that pre-fetch links: the Copenhagen Book, "Email verification"). Only HMACs are
 * stored, keyed by a key derived from KEYCARD_SECRET: a database dump alone gives an attacker
 * neither, nor the means to test guesses of the short code offline.
 */

const HOUR = 60 * 60 * 1000;

/** How long each kind of token lives: a reset or a sign-in link is more powerful, so shorter. */
export const ONE_TIME_TOKEN_TTL_MS: Readonly<Record<OneTimePurpose, number>> = Object.freeze({
  VERIFY_EMAIL: 24 * HOUR,
  CHANGE_EMAIL: 24 * HOUR,
  RESET_PASSWORD: HOUR,
  MAGIC_LINK: 15 * 60 * 1000,
});

/** No 0/O, 1/I/L: a code read off a phone and typed in is not misread. 31 symbols. */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 8;
/** 31^8 ≈ 8.5 × 10^11 codes (~39.6 bits): guessing is bounded by the rate limits, far below this. */
export const CODE_SPACE = CODE_ALPHABET.length ** CODE_LENGTH;

const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface MintedOneTimeToken {
  /** 32 random bytes, base64url: goes into the link only. */
  linkToken: string;
  /** CODE_LENGTH symbols of CODE_ALPHABET, shown as XXXX-XXXX. */
  code: string;
}

export function mintOneTimeToken(): MintedOneTimeToken {
  const linkToken = crypto.randomBytes(32).toString('base64url');
  let code = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[crypto.randomInt(CODE_ALPHABET.length)];
  return { linkToken, code };
}

/** As shown in a mail: two groups of four. */
export function formatCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

export function looksLikeLinkToken(value: string): boolean {
  return LINK_TOKEN.test(value);
}

/** A typed code, forgiving case, spaces and the dash; null if it cannot be a code. */
export function normalizeCode(value: string): string | null {
  const code = value.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== CODE_LENGTH) return null;
  for (const symbol of code) if (!CODE_ALPHABET.includes(symbol)) return null;
  return code;
}

export function hashLinkToken(key: crypto.KeyObject, linkToken: string): string {
  return crypto.createHmac('sha256', key).update(`link\0${linkToken}`).digest('base64url');
}

/** The code's MAC binds it to the purpose and to the address it was mailed to. */
export function hashCode(key: crypto.KeyObject, purpose: OneTimePurpose, email: string, code: string): string {
  return crypto.createHmac('sha256', key).update(`code\0${purpose}\0${email}\0${code}`).digest('base64url');
}
