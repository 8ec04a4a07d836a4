import { loadConfig } from '../../src/config';
import type { RefreshToken } from '../../src/storage/sessions';
import type { Storage } from '../../src/storage/storage';
import { inspectPostgresStorage } from '../storage/postgres/inspector';
import { inspectSqliteStorage, sqliteTables } from '../storage/sqlite/inspector';
import { sqlOn } from './postgres';

/**
 * What a test may ask of the database under a Storage beyond what the repositories offer:
 * assertions about what is physically stored (every row of a table, which tables exist).
 * Product code never needs these, so they are not on the repository interfaces; each adapter
 * answers them from its own internals, in test/storage/<dialect>/inspector.ts.
 */
export interface StorageInspector {
  /** Every refresh token stored, of every session. */
  refreshTokens(): Promise<RefreshToken[]>;
  /** Every row of a table as the driver returns it, every column included: for "nothing in clear" checks. */
  rawRows(table: string): Promise<unknown[]>;
}

export function inspectStorage(storage: Storage): StorageInspector {
  switch (storage.dialect) {
    case 'sqlite':
      return inspectSqliteStorage(storage);
    case 'postgres':
      return inspectPostgresStorage(storage);
  }
}

/** The tables of the database at DATABASE_URL, opened without migrating it (unlike openStorage). */
export async function tablesAt(databaseUrl: string): Promise<string[]> {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  switch (config.databaseDialect) {
    case 'sqlite':
      return sqliteTables(config.databasePath!);
    case 'postgres': {
      const rows = await sqlOn<{ name: string }>(databaseUrl, "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
      return rows.map((row) => row.name);
    }
  }
}
