import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as schema from './schema';

export type Db = BetterSQLite3Database<typeof schema>;

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
