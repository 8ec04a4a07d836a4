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

export function openDatabase(databasePath: string): DatabaseHandle {
  if (databasePath !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(databasePath)), { recursive: true });
  const sqlite = new Database(databasePath);
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
  sqlite.pragma('busy_timeout = 5000');
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
