import crypto from 'node:crypto';
import pg from 'pg';
import type { Clock } from '../../clock';
import { API_TOKEN_READS, API_TOKEN_WRITES_KEEPING_VIEWER_STATES } from '../api-tokens';
import { invalidatingWrites } from '../invalidation';
import { ONE_TIME_TOKEN_READS, ONE_TIME_TOKEN_WRITES_KEEPING_VIEWER_STATES } from '../one-time-tokens';
import { createPostgresOneTimeTokenRepository } from './one-time-tokens';
import { SESSION_OPTIONAL_METHODS, SESSION_READS, SESSION_WRITES_KEEPING_VIEWER_STATES } from '../sessions';
import type { Storage } from '../storage';
import { USER_READS, USER_WRITES_KEEPING_VIEWER_STATES } from '../users';
import { createViewerStateChanges } from '../viewer-state-cache';
import { createPostgresApiTokenRepository } from './api-tokens';
import { createPostgresAuditRepository } from './audit';
import { drizzleOn } from './database';
import { toStorageError } from './errors';
import { createPostgresLimiterStore, LIMIT_BLOCK_CHANNEL, publishLimitBlock } from './limiter-store';
import { createBlockBoard } from '../limit-block-board';
import { applyPostgresMigrations } from './migrate';
import { createPostgresOAuthRepository } from './oauth';
import { createPostgresSessionRepository } from './sessions';
import { createPostgresSigningKeyRepository } from './signing-keys';
import { createPostgresDeviceAuthorizationRepository } from './device-authorizations';
import { createPostgresUserRepository } from './users';
import { startViewerStateListener } from './viewer-state-listener';

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

/** /readyz's probe row in rate_limits (as on SQLite, src/storage/sqlite/readiness.ts). */
const READINESS_PROBE_KEY = 'keycard.readiness-probe';

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
  /** Called whenever the session check reads the database instead of its cache (tests count these). */
  onViewerStateRead?(): void;
  /** Called once the open has applied pending migrations, with how many it applied. */
  onMigrated?(applied: number): void;
  /** How long ping() waits for its write (default 2 s). */
  pingTimeoutMs?: number;
  /** How often ping() may write (default 0: each call writes, one round trip like the `SELECT 1` it replaced); between two, the last outcome answers. */
  readinessIntervalMs?: number;
  /**
   * Errors no caller is waiting for: a pooled idle connection the server closed, the LISTEN
   * connection lost. pg would crash the process on an unhandled one; they are reported here.
   */
  onBackgroundError?(error: unknown): void;
}

export interface PostgresStorage extends Storage {
  readonly dialect: 'postgres';
  /** The state of the cross-instance cache invalidation, and how often the session check read the database. */
  diagnostics(): { listening: boolean; notifications: number; viewerStateReads: number; limitChecksRead: number };
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
  // One tag per open storage (one instance): its connections' application_name, and the sender
  // of its notifications, which its own listener skips (its cache was invalidated locally).
  const applicationName = `${options.applicationName ?? 'keycard'}/${crypto.randomBytes(4).toString('hex')}`;
  const connectionTimeoutMillis = options.pool?.connectionTimeoutMs ?? 5_000;
  const statementTimeoutMs = options.pool?.statementTimeoutMs ?? 30_000;
  const pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
  const readinessIntervalMs = options.readinessIntervalMs ?? 0;
  let lastProbe: { at: number; ok: boolean } | null = null;
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
    const applied = await applyPostgresMigrations(pool);
    options.onMigrated?.(applied);
  } catch (error) {
    await pool.end().catch(() => {});
    throw toStorageError(error);
  }

  const { url: listenUrl, ...listenerOptions } = options.listener ?? {};
  if (listenUrl !== undefined && !isPostgresUrl(listenUrl)) {
    await pool.end().catch(() => {});
    throw new Error('the LISTEN URL starts with postgres:// or postgresql://');
  }
  // Failure limiters learn of blocks from announcements on the same LISTEN connection, and read
  // the table only for keys not read clear in the subscription in force (fail closed).
  const db = drizzleOn(pool);
  const blockBoard = createBlockBoard({ subscription: () => listener.subscription(), publish: publishLimitBlock(db) });
  const listener = startViewerStateListener({
    client: { ...connection, connectionString: listenUrl ?? options.url, application_name: `${applicationName}:listen` },
    ...listenerOptions,
    onError: (error) => onBackgroundError(toStorageError(error)),
    ownTag: applicationName,
    channels: { [LIMIT_BLOCK_CHANNEL]: (payload) => blockBoard.received(payload) },
  });
  await listener.firstAttempt;

  // One version for both repositories: a write through either invalidates the session check's cache.
  const changes = createViewerStateChanges();
  let viewerStateReads = 0;
  let closed: Promise<void> | null = null;

  return {
    dialect: 'postgres',
    // Every write of users and sessions bumps the local version (src/storage/invalidation.ts);
    // the writes that change a viewer state also NOTIFY the other instances in their transaction.
    users: invalidatingWrites(createPostgresUserRepository(db), { reads: USER_READS, keepingViewerStates: USER_WRITES_KEEPING_VIEWER_STATES }, changes),
    sessions: invalidatingWrites(
      createPostgresSessionRepository(db, pool, changes, {
        // null while the LISTEN connection is down (no other instance's commit can be seen): fail closed.
        databaseVersion: () => listener.databaseVersion(),
        onViewerStateRead: () => {
          viewerStateReads++;
          options.onViewerStateRead?.();
        },
      }),
      { reads: SESSION_READS, keepingViewerStates: SESSION_WRITES_KEEPING_VIEWER_STATES, optional: SESSION_OPTIONAL_METHODS },
      changes,
    ),
    apiTokens: invalidatingWrites(
      createPostgresApiTokenRepository(db, changes, {
        databaseVersion: () => listener.databaseVersion(),
        onViewerStateRead: () => {
          viewerStateReads++;
          options.onViewerStateRead?.();
        },
      }),
      { reads: API_TOKEN_READS, keepingViewerStates: API_TOKEN_WRITES_KEEPING_VIEWER_STATES },
      changes,
    ),
    audit: createPostgresAuditRepository(db),
    signingKeys: createPostgresSigningKeyRepository(db),
    deviceAuthorizations: createPostgresDeviceAuthorizationRepository(db),
    oneTimeTokens: invalidatingWrites(
      createPostgresOneTimeTokenRepository(db),
      { reads: ONE_TIME_TOKEN_READS, keepingViewerStates: ONE_TIME_TOKEN_WRITES_KEEPING_VIEWER_STATES },
      changes,
    ),
    oauth: createPostgresOAuthRepository(db),
    limiterStore: createPostgresLimiterStore(pool, blockBoard),
    async ping() {
      if (closed) return false;
      // Ready means the pool can write: a tiny committed upsert (one row of rate_limits, outside
      // every limiter's key space, never expiring, so clearExpired neither takes nor counts it); `SELECT 1` answered on a read-only
      // replica (transaction_read_only) or a server refusing writes.
      const at = Date.now();
      if (lastProbe && at - lastProbe.at < readinessIntervalMs) return lastProbe.ok;
      let ok = false;
      try {
        await withTimeout(
          pool.query('INSERT INTO rate_limits (key, points, expire) VALUES ($1, 0, NULL) ON CONFLICT (key) DO UPDATE SET points = (rate_limits.points + 1) % 1000000', [READINESS_PROBE_KEY]),
          pingTimeoutMs,
        );
        ok = true;
      } catch {
        ok = false;
      }
      lastProbe = { at, ok };
      return ok;
    },
    poolFigures() {
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    },
    diagnostics() {
      return { listening: listener.listening, notifications: listener.notifications, viewerStateReads, limitChecksRead: blockBoard.reads };
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
