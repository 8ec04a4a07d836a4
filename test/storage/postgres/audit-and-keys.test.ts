import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, afterEach, before, it } from 'node:test';
import type { StoredSigningKey } from '../../../src/storage/signing-keys';
import type { PostgresStorage } from '../../../src/storage/postgres/storage';
import { DAY, MINUTE } from '../../support/clock';
import { sqlOn, storageOpener, useTestDatabase } from '../../support/postgres';
import { onlyOn } from '../../support/dialect';

const NOW = new Date(Date.UTC(2026, 0, 1));

// The PostgreSQL adapter's own tests: registered on the PostgreSQL pass only
// (test/support/dialect.ts), where the rest of the suite runs on PostgreSQL too; the SQLite
// pass would run them unchanged a second time.
onlyOn('postgres')('PostgreSQL audit events', () => {
  const database = useTestDatabase();
  const opener = storageOpener();
  let storage: PostgresStorage;
  before(async () => {
    storage = await opener.open(database.url);
  });
  after(() => opener.closeAll());
  afterEach(() => sqlOn(database.url, 'TRUNCATE audit_events'));

  it('an event JSON cannot encode is a TypeError and nothing is written', async () => {
    await assert.rejects(storage.audit.record(NOW, { type: 'SIGNUP', detail: { poison: 1n } as unknown as Record<string, unknown> }), TypeError);
    assert.equal(await storage.audit.count({}), 0);
  });

});

function key(createdAt: Date, overrides: Partial<StoredSigningKey> = {}): StoredSigningKey {
  const kid = crypto.randomUUID();
  return { kid, alg: 'ES256', publicJwk: JSON.stringify({ kid }), privateKeyEncrypted: 'sealed', createdAt, activatesAt: createdAt, retiredAt: null, ...overrides };
}

onlyOn('postgres')('PostgreSQL signing keys', () => {
  const database = useTestDatabase();
  const opener = storageOpener();
  let a: PostgresStorage;
  let b: PostgresStorage;
  before(async () => {
    a = await opener.open(database.url, { applicationName: 'A' });
    b = await opener.open(database.url, { applicationName: 'B' });
  });
  after(() => opener.closeAll());
  afterEach(() => sqlOn(database.url, 'TRUNCATE signing_keys'));

  it('two instances rotating at the same moment insert one key between them', async () => {
    for (let round = 0; round < 20; round++) {
      const since = new Date(NOW.getTime() + round * DAY);
      const at = new Date(since.getTime() + MINUTE);
      const results = await Promise.all([a.signingKeys.insertUnlessCreatedSince(key(at), since), b.signingKeys.insertUnlessCreatedSince(key(at), since)]);
      assert.deepEqual([...results].sort(), [false, true], `round ${round}`);
      assert.equal((await a.signingKeys.list()).length, round + 1);
    }
  });
});
