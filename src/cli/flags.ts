import { parseArgs, type ParseArgsConfig } from 'node:util';
import ms from 'ms';
import { parseEmail } from '../accounts/account.input';
import { ROLES, type Role } from '../tokens/access-token';
import { UsageError } from './cli-error';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, its errors cut to their first sentence: one line for the operator. */
export function parseFlags<const O extends OptionsConfig>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message.split(/\.\s|\n/)[0]! : 'cannot read the options';
    throw new UsageError(`${message.charAt(0).toLowerCase()}${message.slice(1)}`);
  }
}

export function requireFlag(name: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function parseRole(raw: string): Role {
  const role = raw.trim().toUpperCase();
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${raw}"`);
  }
  return role as Role;
}

/** The same notation as the duration variables of the environment: 10m, 1h, 30s; bare digits are seconds. */
export function parseDuration(name: string, raw: string, maxMs: number): number {
  const value = raw.trim();
  const parsed = /^\d+$/.test(value) ? Number(value) * 1000 : ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0 || parsed > maxMs) {
    throw new UsageError(`--${name} expects a duration like 10m, 1h or 0 (at most ${ms(maxMs, { long: true })}), got "${raw}"`);
  }
  return parsed;
}

/** The signup rule (src/accounts/account.input.ts), reported as a bad flag. */
export function parseEmailFlag(raw: string): string {
  try {
    return parseEmail(raw);
  } catch {
    throw new UsageError(`--email must be an email address, got "${raw}"`);
  }
}
