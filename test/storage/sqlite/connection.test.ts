import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { openSqliteStorage, sqliteHandleOf } from '../../../src/storage/sqlite/storage';
import { onlyOn } from '../../support/dialect';
import { BUSY_TIMEOUT_MS } from '../../../src/storage/sqlite/write-gate';

// SQLite by nature (a database file, its pragmas, its connection): registered on the SQLite
// pass only (test/support/dialect.ts); the PostgreSQL pass runs the same behaviour through
// the PostgreSQL adapter in the rest of the suite.
onlyOn('sqlite')('SQLite connection', () => {
  it('a file database runs in WAL with synchronous NORMAL, foreign keys, a busy timeout of a few milliseconds (the longer wait is asynchronous, write-gate.ts) the larger checkpoint threshold, an 8 MB page cache, no memory map and statement journals in memory; its folder is created', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-connection-'));
    const storage = await openSqliteStorage(path.join(dir, 'nested', 'keycard.db'));
    try {
      const { sqlite } = sqliteHandleOf(storage);
      const pragma = (name: string) => sqlite.pragma(name, { simple: true });
      assert.deepEqual(
        { journal: pragma('journal_mode'), synchronous: pragma('synchronous'), foreignKeys: pragma('foreign_keys'), busyTimeout: pragma('busy_timeout'), autocheckpoint: pragma('wal_autocheckpoint'), cacheSize: pragma('cache_size'), mmapSize: pragma('mmap_size'), tempStore: pragma('temp_store') },
        // cache_size negative: KiB, not pages (the native memory stated in README, "Performance");
        // temp_store 2: statement journals in memory (client.ts).
        { journal: 'wal', synchronous: 1, foreignKeys: 1, busyTimeout: BUSY_TIMEOUT_MS, autocheckpoint: 10000, cacheSize: -8000, mmapSize: 0, tempStore: 2 },
      );
    } finally {
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
