import assert from 'node:assert/strict';
import { it } from 'node:test';
import { openSqliteStorage, sqliteHandleOf } from '../../../src/storage/sqlite/storage';
import { onlyOn } from '../../support/dialect';

/** What the prune and clearExpired filter on: without these each of their batches scanned a table. */
const PRUNE_INDEXES = ['sessions_expires_at_idx', 'sessions_revoked_at_idx', 'refresh_tokens_expires_at_idx', 'refresh_tokens_session_id_idx', 'audit_events_at_idx', 'rate_limits_expire_idx'];

// Each dialect's catalog answers for its own migrations (the PostgreSQL twin: test/storage/postgres/prune-indexes.test.ts).
onlyOn('sqlite')('prune indexes', () => {
  it('the columns the prune filters on are indexed, and the prune uses them', async () => {
    const storage = await openSqliteStorage(':memory:');
    try {
      const { sqlite } = sqliteHandleOf(storage);
      const names = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all() as string[];
      for (const index of PRUNE_INDEXES) assert.ok(names.includes(index), `${index} missing from ${names.join(', ')}`);
      const plan = (sql: string) => (sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((row) => row.detail).join('; ');
      assert.match(plan('SELECT id FROM refresh_tokens WHERE expires_at < 1 LIMIT 500'), /USING (COVERING )?INDEX refresh_tokens_expires_at_idx/);
      assert.match(plan('SELECT id FROM sessions WHERE expires_at < 1 OR (revoked_at IS NOT NULL AND revoked_at < 1) LIMIT 500'), /sessions_revoked_at_idx/);
    } finally {
      await storage.close();
    }
  });
});
