import assert from 'node:assert/strict';
import { it } from 'node:test';
import { onlyOn } from '../../support/dialect';
import { createMigratedTestDatabase, sqlOn } from '../../support/postgres';

const PRUNE_INDEXES = ['sessions_expires_at_idx', 'sessions_revoked_at_idx', 'refresh_tokens_expires_at_idx', 'refresh_tokens_session_id_idx', 'audit_events_at_idx', 'rate_limits_expire_idx'];

// Each dialect's catalog answers for its own migrations (the SQLite twin: test/storage/sqlite/prune-indexes.test.ts).
onlyOn('postgres')('prune indexes', () => {
  it('the columns the prune filters on are indexed', async () => {
    const database = await createMigratedTestDatabase();
    try {
      const names = (await sqlOn<{ name: string }>(database.url, "SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'")).map((row) => row.name);
      for (const index of PRUNE_INDEXES) assert.ok(names.includes(index), `${index} missing from ${names.join(', ')}`);
    } finally {
      await database.drop();
    }
  });
});
