import type { Storage, StorageOptions } from '../storage';
import { createViewerStateChanges } from '../viewer-state-cache';
import { createAuditRepository } from './audit';
import { openDatabase, type DatabaseHandle } from './client';
import { applyMigrations } from './migrate';
import { createSqliteLimiterStore } from './rate-limits';
import { createSessionRepository } from './sessions';
import { createSigningKeyRepository } from './signing-keys';
import { createUserRepository } from './users';

const handles = new WeakMap<Storage, DatabaseHandle>();

/**
 * The SQLite adapter: one better-sqlite3 connection (WAL), migrated from drizzle/sqlite. The
 * session check's cache is invalidated by the repositories' writes (this process's version)
 * and by `PRAGMA data_version`, which moves when another connection (the operator CLI,
 * another process on the file) commits.
 */
export async function openSqliteStorage(databasePath: string, options: StorageOptions = {}): Promise<Storage> {
  const handle = openDatabase(databasePath);
  try {
    const applied = applyMigrations(handle);
    options.onMigrated?.(applied);

    // One version for both repositories: a write through either invalidates the session check's cache.
    const changes = createViewerStateChanges();

    const storage: Storage = Object.freeze({
      dialect: 'sqlite',
      users: createUserRepository(handle.db, changes),
      sessions: createSessionRepository(handle.db, changes),
      audit: createAuditRepository(handle.db),
      signingKeys: createSigningKeyRepository(handle.db),
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
