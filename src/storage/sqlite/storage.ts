import type { OAuthRepository } from '../oauth';
import type { AuditRepository } from '../audit';
import type { DeviceAuthorizationRepository } from '../device-authorizations';
import type { SigningKeyRepository } from '../signing-keys';
import { API_TOKEN_READS, API_TOKEN_WRITES_KEEPING_VIEWER_STATES, isLiveApiTokenState, type ApiTokenViewerState } from '../api-tokens';
import { invalidatingWrites } from '../invalidation';
import { SESSION_OPTIONAL_METHODS, SESSION_READS, SESSION_WRITES_KEEPING_VIEWER_STATES } from '../sessions';
import type { Storage, StorageOptions } from '../storage';
import { USER_READS, USER_WRITES_KEEPING_VIEWER_STATES } from '../users';
import { createViewerStateCache, createViewerStateChanges } from '../viewer-state-cache';
import { createApiTokenRepository, type ApiTokenStateReader } from './api-tokens';
import { createAuditRepository } from './audit';
import Database from 'better-sqlite3';
import { openDatabase, DatabasePathError, type DatabaseHandle } from './client';
import { applyMigrations } from './migrate';
import { createOAuthRepository } from './oauth';
import { createSqliteLimiterStore } from './rate-limits';
import { createSessionRepository, type ViewerStateReader } from './sessions';
import { createSigningKeyRepository } from './signing-keys';
import { createDeviceAuthorizationRepository } from './device-authorizations';
import { createUserRepository } from './users';
import { BUSY_TIMEOUT_MS, createWriteGate, gatedWrites, isLockError } from './write-gate';
import { createReadinessProbe } from './readiness';
import { createDataVersionReader } from './data-version';
import { ONE_TIME_TOKEN_READS, ONE_TIME_TOKEN_WRITES_KEEPING_VIEWER_STATES } from '../one-time-tokens';
import { createOneTimeTokenRepository } from './one-time-tokens';

/** Sessions remembered by the viewer-state cache: ~1 KB each. */
const VIEWER_CACHE_ENTRIES = 10_000;

/** The methods of these repositories that never write: they bypass the write gate. */
const AUDIT_READS = ['page', 'count'] as const satisfies readonly (keyof AuditRepository)[];
const SIGNING_KEY_READS = ['list'] as const satisfies readonly (keyof SigningKeyRepository)[];
const OAUTH_READS = ['findIdentity', 'findIdentityById', 'listIdentities'] as const satisfies readonly (keyof OAuthRepository)[];
const DEVICE_AUTHORIZATION_READS = ['findByUserCodeHash', 'findByDeviceCodeHash'] as const satisfies readonly (keyof DeviceAuthorizationRepository)[];

const handles = new WeakMap<Storage, DatabaseHandle>();

/**
 * The SQLite adapter: one better-sqlite3 connection (WAL), migrated from drizzle/sqlite. The
 * session check's cache is invalidated by the write path itself: the users and sessions
 * repositories are wrapped so that every method that is not a declared read bumps this
 * process's version (src/storage/invalidation.ts), and `PRAGMA data_version` moves when
 * another connection (the operator CLI, another process on the file) commits; it is read once
 * per turn of the event loop (data-version.ts).
 */
export interface SqliteStorageOptions extends StorageOptions {
  /** How long a write waits for a lock held by another connection before SERVICE_UNAVAILABLE (default 2 s). */
  lockWaitMs?: number;
  /** How often /readyz may make its tiny write (default 2 s); between two, the last outcome answers. */
  readinessIntervalMs?: number;
}

/** Errors that say the file cannot be written at all (not a passing lock). */
const UNWRITABLE = /^SQLITE_(READONLY|CANTOPEN|PERM|AUTH|FULL|IOERR|CORRUPT|NOTADB)/;

export async function openSqliteStorage(databasePath: string, options: SqliteStorageOptions = {}): Promise<Storage> {
  const handle = openDatabase(databasePath, { busyTimeoutMs: BUSY_TIMEOUT_MS, onCreatedFolder: options.onCreatedFolder });
  try {
    const applied = applyMigrations(handle);
    options.onMigrated?.(applied);
    const gate = createWriteGate({ maxWaitMs: options.lockWaitMs, onUnwritable: options.onWriteFailed });
    const readinessIntervalMs = options.readinessIntervalMs ?? 2_000;
    const readiness = createReadinessProbe(handle.sqlite, { intervalMs: readinessIntervalMs });
    // A database that cannot be written is refused at start: accepted, it answered every
    // write with an error while /readyz said ready. A lock held elsewhere is not refused: it passes.
    const probe = readiness.writeNow();
    if (!probe.ok && !isLockError(probe.error)) throw probe.error;

    // One version for both repositories: a write through either invalidates the session check's cache.
    const changes = createViewerStateChanges();
    const dataVersion = handle.sqlite.prepare('PRAGMA data_version').pluck();
    // Read once per turn of the event loop, shared by the requests of that turn (data-version.ts).
    const databaseVersion = createDataVersionReader(() => dataVersion.get() as number);
    const cache = createViewerStateCache({ changes, databaseVersion, maxEntries: VIEWER_CACHE_ENTRIES });
    const { onViewerStateRead } = options;
    const readViewerState: ViewerStateReader = onViewerStateRead
      ? (id, nowMs, load) => cache.read(id, nowMs, () => (onViewerStateRead(), load()))
      : (id, nowMs, load) => cache.read(id, nowMs, load);
    // API tokens share the version and the signal: a revocation, a disable or a role change reaches them too.
    const tokenCache = createViewerStateCache<ApiTokenViewerState>({ changes, databaseVersion, maxEntries: VIEWER_CACHE_ENTRIES, isLive: isLiveApiTokenState });
    const readTokenState: ApiTokenStateReader = onViewerStateRead
      ? (hash, nowMs, load) => tokenCache.read(hash, nowMs, () => (onViewerStateRead(), load()))
      : (hash, nowMs, load) => tokenCache.read(hash, nowMs, load);

    const storage: Storage = Object.freeze({
      dialect: 'sqlite',
      users: invalidatingWrites(
        gatedWrites(createUserRepository(handle.db), USER_READS, gate),
        { reads: USER_READS, keepingViewerStates: USER_WRITES_KEEPING_VIEWER_STATES },
        changes,
      ),
      sessions: invalidatingWrites(
        gatedWrites(createSessionRepository(handle.db, readViewerState), SESSION_READS, gate),
        { reads: SESSION_READS, keepingViewerStates: SESSION_WRITES_KEEPING_VIEWER_STATES, optional: SESSION_OPTIONAL_METHODS },
        changes,
      ),
      apiTokens: invalidatingWrites(
        gatedWrites(createApiTokenRepository(handle.db, readTokenState), API_TOKEN_READS, gate),
        { reads: API_TOKEN_READS, keepingViewerStates: API_TOKEN_WRITES_KEEPING_VIEWER_STATES },
        changes,
      ),
      audit: gatedWrites(createAuditRepository(handle.db), AUDIT_READS, gate),
      signingKeys: gatedWrites(createSigningKeyRepository(handle.db), SIGNING_KEY_READS, gate),
      deviceAuthorizations: gatedWrites(createDeviceAuthorizationRepository(handle.db), DEVICE_AUTHORIZATION_READS, gate),
      oneTimeTokens: invalidatingWrites(
        gatedWrites(createOneTimeTokenRepository(handle.db), ONE_TIME_TOKEN_READS, gate),
        { reads: ONE_TIME_TOKEN_READS, keepingViewerStates: ONE_TIME_TOKEN_WRITES_KEEPING_VIEWER_STATES },
        changes,
      ),
      oauth: gatedWrites(createOAuthRepository(handle.db), OAUTH_READS, gate),
      limiterStore: createSqliteLimiterStore(handle.sqlite, gate),
      async ping() {
        // Ready means a write would succeed: not while writes queue for a lock held elsewhere,
        // nor within readinessIntervalMs of a real write the file could not take (a one-row
        // probe can fit where a real write does not, on a full disk), else the outcome of a tiny
        // write made at most every readinessIntervalMs. The failure's mark lapses by itself, so
        // a server taken out of rotation comes back once the file heals, without traffic.
        const failedAt = gate.lastUnwritableAt();
        if (gate.waiting() || (failedAt !== null && Date.now() - failedAt < readinessIntervalMs)) return false;
        return handle.ping() && readiness.check();
      },
      async close() {
        // A group commit (group-commit.ts) queued in this turn flushes on setImmediate: let it
        // commit before the connection goes, so no acknowledged write is lost.
        await new Promise((resolve) => setImmediate(resolve));
        if (!handle.sqlite.open) return;
        // Copy the WAL into the database file and empty it: the next start (or a backup of the
        // file alone) needs no recovery. A reader elsewhere may keep it from finishing; closing
        // is still safe, SQLite replays the WAL on the next open.
        if (!handle.sqlite.memory) {
          try {
            handle.sqlite.pragma('wal_checkpoint(TRUNCATE)');
          } catch {
            // busy: see above
          }
        }
        handle.close();
      },
    });
    handles.set(storage, handle);
    return storage;
  } catch (error) {
    handle.close();
    if (error instanceof Database.SqliteError && UNWRITABLE.test(error.code)) {
      throw new DatabasePathError(databasePath, `it cannot be written (${error.code}: ${error.message})`);
    }
    throw error;
  }
}

/**
 * The connection under a Storage opened by openSqliteStorage: for SQLite-specific tests (what
 * the file holds, another connection's commits), never for product code, which goes through
 * the repositories.
 */
export function sqliteHandleOf(storage: Storage): DatabaseHandle {
  const handle = handles.get(storage);
  if (!handle) throw new Error(`not a SQLite storage (dialect ${storage.dialect})`);
  return handle;
}
