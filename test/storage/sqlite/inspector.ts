import { openDatabase } from '../../../src/storage/sqlite/client';
import { refreshTokens } from '../../../src/storage/sqlite/schema';
import { sqliteHandleOf } from '../../../src/storage/sqlite/storage';
import type { Storage } from '../../../src/storage/storage';
import type { StorageInspector } from '../../support/storage-inspector';

/** The SQLite answers to StorageInspector, from the adapter's own connection and schema. */
export function inspectSqliteStorage(storage: Storage): StorageInspector {
  const { db, sqlite } = sqliteHandleOf(storage);
  return {
    async refreshTokens() {
      return db.select().from(refreshTokens).all();
    },
    async rawRows(table) {
      return sqlite.prepare(`select * from "${table.replaceAll('"', '""')}"`).all();
    },
  };
}

/** The tables of a SQLite file, read without migrating it. */
export function sqliteTables(databasePath: string): string[] {
  const handle = openDatabase(databasePath);
  try {
    const names = handle.sqlite.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all() as string[];
    return names.filter((name) => !name.startsWith('sqlite_'));
  } finally {
    handle.close();
  }
}
