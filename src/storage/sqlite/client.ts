import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as schema from './schema';

/** Drizzle over better-sqlite3; `$client` is the driver, for transactions built once (sessions.ts). */
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface DatabaseHandle {
  readonly db: Db;
  readonly sqlite: Database.Database;
  /** Cheap liveness probe for /readyz. */
  ping(): boolean;
  close(): void;
}

export interface OpenDatabaseOptions {
  /**
   * How long SQLite itself waits for a lock, blocking the thread. The server's storage keeps it
   * to a few milliseconds and waits asynchronously instead (write-gate.ts); tools that hold no
   * event loop worth keeping (the copy, test inspectors) keep the 5 s default.
   */
  busyTimeoutMs?: number;
  /** Called when the database's folder did not exist and was created. */
  onCreatedFolder?(folder: string): void;
}

/** The folder of a database file: created if missing (and reported), refused in one line naming DATABASE_URL if it cannot be. */
function ensureFolder(databasePath: string, onCreatedFolder?: (folder: string) => void): void {
  const folder = path.dirname(path.resolve(databasePath));
  if (fs.existsSync(folder)) {
    if (!fs.statSync(folder).isDirectory()) throw new DatabasePathError(databasePath, `${JSON.stringify(folder)} is a file, not a folder`);
    return;
  }
  try {
    fs.mkdirSync(folder, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a part of its path is a file, not a folder' : code === 'EACCES' || code === 'EROFS' ? 'its folder cannot be created here (no permission)' : `its folder cannot be created (${code ?? 'error'})`;
    throw new DatabasePathError(databasePath, why);
  }
  onCreatedFolder?.(folder);
}

/** DATABASE_URL names a file that cannot be opened or written; the message is one plain line. */
export class DatabasePathError extends Error {
  constructor(
    readonly databasePath: string,
    readonly why: string,
  ) {
    super(`names the SQLite file ${JSON.stringify(path.resolve(databasePath))}, which cannot be used: ${why}`);
    this.name = 'DatabasePathError';
  }
}

export function openDatabase(databasePath: string, options: OpenDatabaseOptions = {}): DatabaseHandle {
  if (databasePath !== ':memory:') ensureFolder(databasePath, options.onCreatedFolder);
  if (databasePath !== ':memory:' && fs.existsSync(databasePath) && fs.statSync(databasePath).isDirectory()) {
    throw new DatabasePathError(databasePath, 'it is a folder, not a file');
  }
  let sqlite: Database.Database;
  try {
    sqlite = new Database(databasePath);
  } catch (error) {
    throw new DatabasePathError(databasePath, error instanceof Error ? error.message : String(error));
  }
  try {
    configure(sqlite, options.busyTimeoutMs ?? 5000);
  } catch (error) {
    sqlite.close();
    throw new DatabasePathError(databasePath, error instanceof Error ? error.message : String(error));
  }
  const db = drizzle(sqlite, { schema });
  const pingStatement = sqlite.prepare('select 1 as ok');
  return {
    db,
    sqlite,
    ping() {
      try {
        return pingStatement.get() !== undefined;
      } catch {
        return false;
      }
    },
    close() {
      if (sqlite.open) sqlite.close();
    },
  };
}

function configure(sqlite: Database.Database, busyTimeoutMs: number): void {
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  // WAL lets readers run beside the writer; NORMAL in WAL is durable across a process crash
  // (only a power loss can drop the last commits). See README, "Storage".
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  // In WAL+NORMAL the fsyncs happen at checkpoints, which SQLite runs inside the commit that
  // crosses the threshold. A refresh rotation writes ~13 pages, so the default 1,000-page
  // threshold checkpointed every ~75 rotations; 10,000 pages (~40 MB of WAL) checkpoints a
  // tenth as often and copies each hot page once per checkpoint: ~15% off a rotation
  // (measured). The size limit truncates a WAL that a long reader let grow past it.
  sqlite.pragma('wal_autocheckpoint = 10000');
  sqlite.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  sqlite.pragma('foreign_keys = ON');
  // Native memory, bounded and stated rather than left to build defaults: the page cache holds
  // at most 8 MB (better-sqlite3's default is 16 MB, which it reaches as the database grows),
  // and nothing is memory-mapped (mmap_size 0: the mapped pages of a growing file would count
  // in RSS); the WAL is read with pread, not mapped. The hot pages (the indexes of the session
  // check and of a rotation) fit in 8 MB; a miss is a pread from the OS's cache. Measured
  // (benchmark refresh, 2 runs each, alternated): 2,136 and 2,083 rotations/s at 8 MB, 2,154
  // and 1,944 at 16 MB; peak RSS of the refresh load 115 MB against 123-126. README, "Performance".
  sqlite.pragma('cache_size = -8000');
  sqlite.pragma('mmap_size = 0');
  // Statement journals in memory, not in files. A statement that may fail half-way inside a
  // transaction that already holds other writes (an insert under a unique index, a savepoint of
  // the group commit's second pass) first copies each page it will change into a statement
  // journal, so that it can be rolled back alone. SQLite's default keeps that journal in a
  // temporary file under /var/tmp: when every rotation of a group commit ran in a savepoint, a
  // rotation made 37 write calls and wrote 76 KB, two thirds of it to journals deleted unread.
  // In memory (refresh storm): 12-13 write calls and 25 KB a rotation; 201-207 us instead of
  // 257-263 per refresh in process (medians, 28 refreshes a turn). A journal holds one
  // savepoint's pages (a few 4 KiB pages), and sorts too large for the page cache spill to it.
  sqlite.pragma('temp_store = MEMORY');
}
