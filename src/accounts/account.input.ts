import { z } from 'zod';
import { errors } from '../errors';

/**
 * Input rules shared by signup, login and changePassword. Lengths are checked before anything
 * expensive: a 1 MB password is refused without being hashed (security.md #28).
 */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const EMAIL_MAX = 254; // RFC 5321 path limit
export const DISPLAY_NAME_MAX = 64;

const emailSchema = z.email();

/** Emails are unique case-insensitively: trimmed and lower-cased before storage and lookup. */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The one rule for an email address, used by every operation that takes one (signup, login, the
 * CLI, and whatever mails or links to an address). Addresses are ASCII (RFC 5321): an
 * internationalised domain in its `xn--` form; a non-ASCII local part (RFC 6531) is refused.
 * ASCII is checked BEFORE lower-casing: Unicode case mapping turns some non-ASCII characters
 * into ASCII ones (the Kelvin sign U+212A becomes `k`, U+0130 `İ` becomes `i̇`), so a check
 * after it would let `user\u212A@example.com` in as `userk@example.com`: two spellings, one
 * account, and a display that is not what was typed.
 */
export function parseEmail(raw: string, field = 'email'): string {
  const trimmed = raw.trim();
  if (NON_ASCII.test(trimmed)) throw errors.badUserInput(field, 'Enter a valid email address (ASCII letters only; write an international domain as xn--...).');
  const email = normalizeEmail(trimmed);
  if (email.length === 0 || email.length > EMAIL_MAX || !emailSchema.safeParse(email).success) {
    throw errors.badUserInput(field, 'Enter a valid email address.');
  }
  return email;
}

/**
 * A password is a sequence of Unicode characters: a lone surrogate (a JSON string may carry
 * `"\ud800"`) is not one. UTF-8 encodes it as U+FFFD before hashing, so two different
 * passwords would share one hash. Refused wherever a password is presented.
 */
export function requireWellFormedPassword(raw: string, field = 'password'): void {
  if (/\p{Cs}/u.test(raw)) throw errors.badUserInput(field, 'The password contains an invalid character (an unpaired surrogate).');
}

function characterCount(value: string): number {
  // Counted in code points, so an emoji is one character and 256 of them still fit.
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** NIST SP 800-63B §3.1.1.2: length is the rule; no composition rules, all characters allowed. */
export function parseNewPassword(raw: string, field = 'password'): string {
  requireWellFormedPassword(raw, field);
  if (raw.length > PASSWORD_MAX * 2 || characterCount(raw) > PASSWORD_MAX) {
    throw errors.badUserInput(field, `The password must be at most ${PASSWORD_MAX} characters.`);
  }
  if (characterCount(raw) < PASSWORD_MIN) {
    throw errors.badUserInput(field, `The password must be at least ${PASSWORD_MIN} characters.`);
  }
  return raw;
}

/** Login accepts any password that could have been set; anything longer cannot match. */
export function isPlausiblePassword(raw: string): boolean {
  return raw.length > 0 && raw.length <= PASSWORD_MAX * 2 && characterCount(raw) <= PASSWORD_MAX;
}

export function parseDisplayName(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const name = raw.normalize('NFC').replace(/\s+/g, ' ').trim();
  // Control and format characters (bidi overrides among them) would let one name impersonate another.
  if (name.length === 0 || characterCount(name) > DISPLAY_NAME_MAX || /[\p{Cc}\p{Cf}]/u.test(name)) {
    throw errors.badUserInput('displayName', `The display name must be 1 to ${DISPLAY_NAME_MAX} printable characters.`);
  }
  return name;
}
