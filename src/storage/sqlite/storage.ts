import { invalidatingWrites } from '../invalidation';
import { SESSION_READS, SESSION_WRITES_KEEPING_VIEWER_STATES } from '../sessions';
import type { Storage, StorageOptions } from '../storage';
import { USER_READS, USER_WRITES_KEEPING_VIEWER_STATES } from '../users';
import { createViewerStateCache, createViewerStateChanges } from '../viewer-state-cache';
import { createAuditRepository } from './audit';
import { openDatabase, type DatabaseHandle } from './client';
import { applyMigrations } from './migrate';
import { createOAuthRepository } from './oauth';
import { createSqliteLimiterStore } from './rate-limits';
import { createSessionRepository, type ViewerStateReader } from './sessions';
import { createSigningKeyRepository } from './signing-keys';
import { createUserRepository } from './users';

/** Sessions remembered by the viewer-state cache: ~1 KB each. */
const VIEWER_CACHE_ENTRIES = 10_000;

const handles = new WeakMap<Storage, DatabaseHandle>();

/**
 * The SQLite adapter: one better-sqlite3 connection (WAL), migrated from drizzle/sqlite. The
 * session check's cache is invalidated by the write path itself: the users and sessions
 * repositories are wrapped so that every method that is not a declared read bumps this
 * process's version (src/storage/invalidation.ts), and `PRAGMA data_version` moves when
 * another connection (the operator CLI, another process on the file) commits.
 */
export async function openSqliteStorage(databasePath: string, options: StorageOptions = {}): Promise<Storage> {
  const handle = openDatabase(databasePath);
  try {
    const applied = applyMigrations(handle);
    options.onMigrated?.(applied);

    // One version for both repositories: a write through either invalidates the session check's cache.
    const changes = createViewerStateChanges();
    const dataVersion = handle.sqlite.prepare('PRAGMA data_version').pluck();
    const cache = createViewerStateCache({ changes, databaseVersion: () => dataVersion.get() as number, maxEntries: VIEWER_CACHE_ENTRIES });
    const { onViewerStateRead } = options;
    const readViewerState: ViewerStateReader = onViewerStateRead
      ? (id, nowMs, load) => cache.read(id, nowMs, () => (onViewerStateRead(), load()))
      : (id, nowMs, load) => cache.read(id, nowMs, load);

    const storage: Storage = Object.freeze({
      dialect: 'sqlite',
      users: invalidatingWrites(createUserRepository(handle.db), { reads: USER_READS, keepingViewerStates: USER_WRITES_KEEPING_VIEWER_STATES }, changes),
      sessions: invalidatingWrites(createSessionRepository(handle.db, readViewerState), { reads: SESSION_READS, keepingViewerStates: SESSION_WRITES_KEEPING_VIEWER_STATES }, changes),
      audit: createAuditRepository(handle.db),
      signingKeys: createSigningKeyRepository(handle.db),
      oauth: createOAuthRepository(handle.db),
      limiterStore: createSqliteLimiterStore(handle.sqlite),
      async ping() {
        return handle.ping();
      },
      async close() {
        handle.close();
      },
    });
    handles.set(storage, handle);
    return storage;
  } catch (error) {
    handle.close();
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
