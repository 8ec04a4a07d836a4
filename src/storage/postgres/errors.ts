import { DrizzleQueryError } from 'drizzle-orm/errors';
import pg from 'pg';
import { IdentityTakenError } from '../oauth';
import { EmailTakenError } from '../users';
import { ApiTokenLimitError } from '../api-tokens';

/**
 * A failure of PostgreSQL storage, as callers see it: the SQLSTATE (or the driver's error code
 * for a connection that failed) and nothing else. Neither the SQL, nor its parameters (password
 * hashes, emails), nor the server's `detail` line (which quotes key values) is carried: drizzle's
 * DrizzleQueryError has the first two in its message, pg's DatabaseError the third.
 */
export class PostgresStorageError extends Error {
  constructor(
    /** SQLSTATE, e.g. 23505, or a connection code such as ECONNREFUSED; undefined when unknown. */
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'PostgresStorageError';
  }

  /** True when the server was not reached or the connection broke (retrying elsewhere may help). */
  get connectionLost(): boolean {
    return this.code === undefined || this.code.startsWith('08') || this.code.startsWith('57P') || /^E[A-Z]+$/.test(this.code);
  }
}

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/** The error below drizzle's wrapper, which only adds the SQL and its parameters. */
function unwrap(error: unknown): unknown {
  let e = error;
  for (let depth = 0; e instanceof DrizzleQueryError && depth < 5; depth++) e = e.cause;
  return e;
}

export function sqlStateOf(error: unknown): string | undefined {
  const e = unwrap(error);
  if (e instanceof pg.DatabaseError) return e.code;
  if (e instanceof PostgresStorageError) return e.code;
  return undefined;
}

export function isRetryable(error: unknown): boolean {
  const code = sqlStateOf(error);
  return code !== undefined && RETRYABLE.has(code);
}

/** A unique violation of the given constraint (or index) name. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = unwrap(error);
  return e instanceof pg.DatabaseError && e.code === '23505' && e.constraint === constraint;
}

/**
 * What a repository throws instead of what pg or drizzle threw. The repository's own errors
 * (EmailTakenError), errors already translated, and programming errors raised before any SQL was
 * sent (the TypeError of a value JSON cannot encode, exactly as on SQLite) pass unchanged.
 */
export function toStorageError(error: unknown): unknown {
  if (error instanceof EmailTakenError || error instanceof ApiTokenLimitError || error instanceof IdentityTakenError || error instanceof PostgresStorageError) return error;
  const e = unwrap(error);
  if (e instanceof pg.DatabaseError) {
    return new PostgresStorageError(e.code, `PostgreSQL refused the operation (SQLSTATE ${e.code ?? 'unknown'}${e.constraint ? `, constraint ${e.constraint}` : ''})`);
  }
  if (e instanceof TypeError || e instanceof RangeError) return e;
  if (e instanceof Error) {
    // Driver and socket errors: "connect ECONNREFUSED 127.0.0.1:5432", "Connection terminated
    // unexpectedly", "timeout exceeded when trying to connect". None of them quotes SQL.
    const code = (e as { code?: unknown }).code;
    return new PostgresStorageError(typeof code === 'string' ? code : undefined, `PostgreSQL unavailable: ${e.message}`);
  }
  return new PostgresStorageError(undefined, 'PostgreSQL storage failed');
}

/** Wraps every method of a repository so that what it throws has gone through toStorageError. */
export function translatingErrors<T extends object>(repository: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(repository)) {
    wrapped[name] =
      typeof value === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (value as (...a: unknown[]) => Promise<unknown>).apply(repository, args);
            } catch (error) {
              throw toStorageError(error);
            }
          }
        : value;
  }
  return wrapped as T;
}
