import Database from 'better-sqlite3';
import { errors } from '../../errors';
import { methodNames } from '../invalidation';

/**
 * SQLite locks the whole file for a write, and better-sqlite3 waits for a lock synchronously:
 * with a long `busy_timeout` one connection elsewhere holding the write lock (the CLI's
 * `tokens:prune`, a backup, another process) froze the event loop, `/healthz` included, for
 * seconds. So the server's connection waits at most BUSY_TIMEOUT_MS inside SQLite, and the
 * waiting beyond that happens here, asynchronously: a write that finds the database locked is
 * queued, ONE probe retries the oldest queued write with a growing back-off (so a thousand
 * waiting requests cost one short blocked attempt per back-off step, not a thousand), and when
 * it goes through the rest follow at once. A write still locked out after `maxWaitMs` is
 * refused with SERVICE_UNAVAILABLE (`retryAfter`): nothing of it was written, since SQLite
 * refuses a write before its first change (BEGIN IMMEDIATE or the first statement).
 *
 * Reads never come here: in WAL mode a reader does not wait for the writer.
 */
export const BUSY_TIMEOUT_MS = 10;

/** How long a write waits for a lock held elsewhere before SERVICE_UNAVAILABLE. */
export const DEFAULT_LOCK_WAIT_MS = 2000;

const FIRST_RETRY_MS = 5;
const LONGEST_RETRY_MS = 200;

/** The lock is held by another connection: the write did nothing and can be tried again. */
export function isLockError(error: unknown): boolean {
  return error instanceof Database.SqliteError && (error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED'));
}

/**
 * The file cannot take the write (disk full, a read-only file or mount, an I/O error). Not the
 * client's fault and usually not lasting (space is freed, the mount fixed): answered like a
 * lock that outlasted the wait, SERVICE_UNAVAILABLE, and nothing sticks: the next write tries
 * the file again, so the server heals without a restart.
 */
export function isUnwritableError(error: unknown): boolean {
  return error instanceof Database.SqliteError && /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|PERM)/.test(error.code);
}

export interface WriteGate {
  /** Runs a write (a repository call); while the database is locked elsewhere, waits without blocking and retries. */
  run<T>(write: () => Promise<T>): Promise<T>;
  /** true while writes queue for a lock held elsewhere. */
  waiting(): boolean;
  /** When a write last failed because the file could not take it (Date.now() ms), or null. */
  lastUnwritableAt(): number | null;
}

interface Waiter {
  write(): Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  deadline: number;
}

export interface WriteGateOptions {
  maxWaitMs?: number;
  /** A write the file could not take (to log: the client only sees SERVICE_UNAVAILABLE). */
  onUnwritable?(error: unknown): void;
  /** Wall-clock milliseconds; a lock is a real-time matter, not the app's (manual) clock. */
  now?: () => number;
}

export function createWriteGate(options: WriteGateOptions = {}): WriteGate {
  const { maxWaitMs = DEFAULT_LOCK_WAIT_MS, now = Date.now } = options;
  let waiting: Waiter[] = [];
  let probing = false;
  let unwritableAt: number | null = null;
  const unavailable = () => errors.serviceUnavailable(Math.max(1, maxWaitMs / 1000));

  function settle(waiter: Waiter, attempt: Promise<unknown>): Promise<'done' | 'locked'> {
    return attempt.then(
      (value) => (waiter.resolve(value), 'done' as const),
      (error: unknown) => {
        if (isLockError(error)) return 'locked' as const;
        waiter.reject(error);
        return 'done' as const;
      },
    );
  }

  async function probe(): Promise<void> {
    probing = true;
    let delay = FIRST_RETRY_MS;
    try {
      while (waiting.length > 0) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, LONGEST_RETRY_MS);
        const at = now();
        waiting = waiting.filter((waiter) => waiter.deadline > at || (waiter.reject(unavailable()), false));
        const head = waiting[0];
        if (!head) break;
        if ((await settle(head, head.write())) === 'locked') continue;
        // The lock is free: the others go together (they share group commits), and any that
        // meet a new lock queue again with their own deadline.
        waiting.shift();
        const rest = waiting;
        waiting = [];
        const outcomes = await Promise.all(rest.map((waiter) => settle(waiter, waiter.write())));
        waiting = [...rest.filter((_, index) => outcomes[index] === 'locked'), ...waiting];
        delay = FIRST_RETRY_MS;
      }
    } finally {
      probing = false;
    }
  }

  async function queued<T>(write: () => Promise<T>): Promise<T> {
    // While others wait for the lock, a new write queues behind them rather than spending
    // another blocked attempt of its own.
    if (waiting.length === 0) {
      try {
        return await write();
      } catch (error) {
        if (!isLockError(error)) throw error;
      }
    }
    return new Promise<T>((resolve, reject) => {
      waiting.push({ write, resolve: resolve as (value: unknown) => void, reject, deadline: now() + maxWaitMs });
      if (!probing) void probe();
    });
  }

  return {
    waiting: () => waiting.length > 0,
    lastUnwritableAt: () => unwritableAt,
    async run<T>(write: () => Promise<T>): Promise<T> {
      try {
        return await queued(write);
      } catch (error) {
        if (!isUnwritableError(error)) throw error;
        unwritableAt = now();
        options.onUnwritable?.(error);
        throw unavailable();
      }
    },
  };
}

/**
 * The repository with every method but the named reads run through the gate. Reads go straight
 * on: they never wait for a lock in WAL mode and must keep working while the lock is held.
 */
export function gatedWrites<R extends object>(repository: R, reads: readonly string[], gate: WriteGate): R {
  const wrapped: Record<string, unknown> = {};
  for (const name of methodNames(repository)) {
    const method = (repository as Record<string, (...args: unknown[]) => Promise<unknown>>)[name]!;
    wrapped[name] = reads.includes(name) ? method.bind(repository) : (...args: unknown[]) => gate.run(() => method.apply(repository, args));
  }
  return wrapped as R;
}
