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

  it('records an event with every field, and reads it back as written (detail keys in order, nulls as null)', async () => {
    await storage.audit.record(NOW, {
      type: 'LOGIN_FAILED',
      userId: 'u',
      actorId: 'a',
      sessionId: 's',
      ip: '127.0.0.1',
      userAgent: 'ua',
      detail: { reason: 'x', nested: { z: 1, a: [1, 'two', null] } },
    });
    await storage.audit.record(NOW, { type: 'SIGNUP' });
    const { rows } = await storage.audit.page({ first: 10, type: 'LOGIN_FAILED' });
    assert.equal(rows.length, 1);
    const [event] = rows;
    assert.deepEqual({ ...event!, id: 'x' }, {
      id: 'x',
      at: NOW,
      type: 'LOGIN_FAILED',
      userId: 'u',
      actorId: 'a',
      sessionId: 's',
      ip: '127.0.0.1',
      userAgent: 'ua',
      detail: { reason: 'x', nested: { z: 1, a: [1, 'two', null] } },
    });
    assert.equal(JSON.stringify(event!.detail), '{"reason":"x","nested":{"z":1,"a":[1,"two",null]}}');
    const [bare] = (await storage.audit.page({ first: 10, type: 'SIGNUP' })).rows;
    assert.deepEqual([bare!.userId, bare!.actorId, bare!.sessionId, bare!.ip, bare!.userAgent, bare!.detail], [null, null, null, null, null, null]);
  });

  it('an event JSON cannot encode is a TypeError and nothing is written', async () => {
    await assert.rejects(storage.audit.record(NOW, { type: 'SIGNUP', detail: { poison: 1n } as unknown as Record<string, unknown> }), TypeError);
    assert.equal(await storage.audit.count({}), 0);
  });

  it('pages newest first with one extra row, strictly before an (at, id) cursor, filtered by user and type; counts', async () => {
    for (let i = 0; i < 6; i++) {
      await storage.audit.record(new Date(NOW.getTime() + (i % 3) * MINUTE), { type: i % 2 ? 'LOGIN_FAILED' : 'SIGNUP', userId: i < 4 ? 'u1' : 'u2', detail: { i } });
    }
    const all = (await storage.audit.page({ first: 100 })).rows;
    assert.equal(all.length, 6);
    assert.deepEqual(all.map((e) => e.at.getTime()), [...all.map((e) => e.at.getTime())].sort((x, y) => y - x));
    const first = await storage.audit.page({ first: 2 });
    assert.equal(first.rows.length, 3);
    const cursor = first.rows[1]!;
    const rest = await storage.audit.page({ first: 100, before: { at: cursor.at, id: cursor.id } });
    assert.deepEqual(rest.rows.map((e) => e.id), all.slice(2).map((e) => e.id));
    assert.equal((await storage.audit.page({ first: 100, userId: 'u1' })).rows.length, 4);
    assert.equal((await storage.audit.page({ first: 100, userId: 'u1', type: 'SIGNUP' })).rows.length, 2);
    assert.deepEqual(
      [await storage.audit.count({}), await storage.audit.count({ userId: 'u2' }), await storage.audit.count({ type: 'LOGIN_FAILED' }), await storage.audit.count({ userId: 'u2', type: 'SIGNUP' })],
      [6, 2, 3, 1],
    );
  });

  it('deleteOlderThan deletes strictly older events and says how many', async () => {
    await storage.audit.record(new Date(NOW.getTime() - DAY), { type: 'SIGNUP' });
    await storage.audit.record(NOW, { type: 'SIGNUP' });
    await storage.audit.record(new Date(NOW.getTime() + DAY), { type: 'SIGNUP' });
    assert.equal(await storage.audit.deleteOlderThan(NOW), 1);
    assert.equal(await storage.audit.deleteOlderThan(NOW), 0);
    assert.equal(await storage.audit.count({}), 2);
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

  it('inserts and lists keys as stored, Date times and null retiredAt included', async () => {
    const first = key(NOW, { activatesAt: new Date(NOW.getTime() + MINUTE) });
    const second = key(new Date(NOW.getTime() + DAY));
    await a.signingKeys.insert(second);
    await a.signingKeys.insert(first);
    assert.deepEqual(await b.signingKeys.list(), [first, second]);
    await assert.rejects(a.signingKeys.insert(first), (error: Error & { code?: string }) => error.code === '23505' && !/insert/i.test(error.message));
  });

  it('retire sets retiredAt once: a key already retired keeps its first time', async () => {
    const k = key(NOW);
    await a.signingKeys.insert(k);
    await a.signingKeys.retire(k.kid, new Date(NOW.getTime() + DAY));
    await a.signingKeys.retire(k.kid, new Date(NOW.getTime() + 2 * DAY));
    await a.signingKeys.retire('unknown', NOW);
    assert.deepEqual((await a.signingKeys.list())[0]!.retiredAt, new Date(NOW.getTime() + DAY));
  });

  it('insertUnlessCreatedSince inserts only when no key is newer than `since`', async () => {
    await a.signingKeys.insert(key(NOW));
    assert.equal(await a.signingKeys.insertUnlessCreatedSince(key(new Date(NOW.getTime() + DAY)), new Date(NOW.getTime() - MINUTE)), false);
    assert.equal(await a.signingKeys.insertUnlessCreatedSince(key(new Date(NOW.getTime() + DAY)), NOW), true);
    assert.equal((await a.signingKeys.list()).length, 2);
  });

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
