import pg from 'pg';
import type { LimiterStore } from '../../abuse/limiter-store';
import type { UserRepository } from '../../accounts/user.repository';
import type { AuditRepository } from '../../audit/audit.repository';
import type { SigningKeyRepository } from '../../auth/signing-key.repository';
import type { Clock } from '../../clock';
import type { SessionRepository } from '../../sessions/session.repository';
import { createViewerStateChanges } from '../../sessions/viewer-state-cache';
import { createPostgresAuditRepository } from './audit';
import { drizzleOn } from './database';
import { toStorageError } from './errors';
import { createPostgresLimiterStore } from './limiter-store';
import { applyPostgresMigrations } from './migrate';
import { createPostgresSessionRepository } from './sessions';
import { createPostgresSigningKeyRepository } from './signing-keys';
import { createPostgresUserRepository } from './users';
import { startViewerStateListener } from './viewer-state-listener';

/**
 * What the application needs from a database, whichever it is. Defined here until the storage
 * seam (src/storage/) lands; the SQLite side returns the same shape.
 */
export interface Storage {
  readonly dialect: 'sqlite' | 'postgres';
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly audit: AuditRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly limiterStore: LimiterStore;
  /** For /readyz: false (never a throw) when the database cannot be reached. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface PostgresPoolOptions {
  /** Connections per instance (default 10). Several instances share the server's max_connections. */
  max?: number;
  /** How long a query waits for a connection, new or pooled, before failing (default 5 s). */
  connectionTimeoutMs?: number;
  /** An idle pooled connection is closed after this (default 30 s). */
  idleTimeoutMs?: number;
  /** Server-side limit on one statement, lock waits included (default 30 s; 0 for none). */
  statementTimeoutMs?: number;
}

export interface PostgresStorageOptions {
  /** postgres://user:password@host:port/database (or postgresql://); query parameters as pg reads them (sslmode, ...). */
  url: string;
  pool?: PostgresPoolOptions;
  /**
   * Accepted for parity with the SQLite side; nothing here reads it: the repositories take
   * every time from their callers, and rate-limiter-flexible reads Date.now() itself.
   */
  clock?: Clock;
  /** application_name of this instance's connections (pg_stat_activity); the LISTEN one adds `:listen`. */
  applicationName?: string;
  /**
   * The LISTEN connection (viewer-state-listener.ts): its reconnection and heartbeat, and its own
   * URL when the pool's goes through a pooler in transaction mode (PgBouncer), where LISTEN
   * does not work: then point `url` here at the server itself (or a session-mode pool).
   */
  listener?: { url?: string; minRetryMs?: number; maxRetryMs?: number; heartbeatMs?: number; heartbeatTimeoutMs?: number };
  /** How long ping() waits for `SELECT 1` (default 2 s). */
  pingTimeoutMs?: number;
  /**
   * Errors no caller is waiting for: a pooled idle connection the server closed, the LISTEN
   * connection lost. pg would crash the process on an unhandled one; they are reported here.
   */
  onBackgroundError?(error: unknown): void;
}

export interface PostgresStorage extends Storage {
  readonly dialect: 'postgres';
  /** The state of the cross-instance cache invalidation, and how often the session check read the database. */
  diagnostics(): { listening: boolean; notifications: number; viewerStateReads: number };
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** Session settings every connection starts with, unless the URL sets `options` itself. */
function sessionOptions(): string {
  // pg and drizzle parse timestamps in ISO DateStyle. A transaction left open by a stalled
  // process would hold its row locks (an ADMIN row, a refresh token) until the server ends it.
  return '-c DateStyle=ISO -c idle_in_transaction_session_timeout=60000';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Opens PostgreSQL storage: a connection pool, the migrations applied (drizzle/postgres/), the
 * LISTEN connection of the viewer-state cache, and the repositories. Fails (without the URL's
 * password in the error) when the server cannot be reached or a migration fails.
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  if (!isPostgresUrl(options.url)) throw new Error('a PostgreSQL URL starts with postgres:// or postgresql://');
  const applicationName = options.applicationName ?? 'keycard';
  const connectionTimeoutMillis = options.pool?.connectionTimeoutMs ?? 5_000;
  const statementTimeoutMs = options.pool?.statementTimeoutMs ?? 30_000;
  const pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
  const onBackgroundError = options.onBackgroundError ?? (() => {});

  const connection = { connectionString: options.url, connectionTimeoutMillis, options: sessionOptions(), keepAlive: true };
  const pool = new pg.Pool({
    ...connection,
    application_name: applicationName,
    max: options.pool?.max ?? 10,
    idleTimeoutMillis: options.pool?.idleTimeoutMs ?? 30_000,
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
  });
  pool.on('error', (error) => onBackgroundError(toStorageError(error)));

  try {
    await applyPostgresMigrations(pool);
  } catch (error) {
    await pool.end().catch(() => {});
    throw toStorageError(error);
  }

  const { url: listenUrl, ...listenerOptions } = options.listener ?? {};
  if (listenUrl !== undefined && !isPostgresUrl(listenUrl)) {
    await pool.end().catch(() => {});
    throw new Error('the LISTEN URL starts with postgres:// or postgresql://');
  }
  const listener = startViewerStateListener({
    client: { ...connection, connectionString: listenUrl ?? options.url, application_name: `${applicationName}:listen` },
    ...listenerOptions,
    onError: (error) => onBackgroundError(toStorageError(error)),
  });
  await listener.firstAttempt;

  const db = drizzleOn(pool);
  // One version for both repositories: a write through either invalidates the session check's cache.
  const changes = createViewerStateChanges();
  let viewerStateReads = 0;
  let closed: Promise<void> | null = null;

  return {
    dialect: 'postgres',
    users: createPostgresUserRepository(db, changes),
    sessions: createPostgresSessionRepository(db, pool, changes, {
      databaseVersion: () => listener.databaseVersion(),
      onViewerStateRead: () => viewerStateReads++,
    }),
    audit: createPostgresAuditRepository(db),
    signingKeys: createPostgresSigningKeyRepository(db),
    limiterStore: createPostgresLimiterStore(pool),
    async ping() {
      if (closed) return false;
      try {
        await withTimeout(pool.query('SELECT 1'), pingTimeoutMs);
        return true;
      } catch {
        return false;
      }
    },
    diagnostics() {
      return { listening: listener.listening, notifications: listener.notifications, viewerStateReads };
    },
    close() {
      closed ??= (async () => {
        await listener.close();
        await pool.end();
      })();
      return closed;
    },
  };
}
