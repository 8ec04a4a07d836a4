import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import pg from 'pg';
import { EmailTakenError, type DisabledChange, type RoleChange } from '../../../src/storage/users';
import { PostgresStorageError } from '../../../src/storage/postgres/errors';
import type { PostgresStorage } from '../../../src/storage/postgres/storage';
import { DAY } from '../../support/clock';
import { createTestDatabase, eventually, sqlOn, storageOpener, type TestDatabase } from '../../support/postgres';
import { insertSession, insertUser } from './fixtures';
import { onlyOn } from '../../support/dialect';

const NOW = new Date(Date.UTC(2026, 0, 1));
const LATER = new Date(NOW.getTime() + 14 * DAY);

/** A value JSON.stringify refuses: the audit insert fails inside the transaction, after the other writes. */
const UNWRITABLE_DETAIL = { poison: 1n } as unknown as Record<string, unknown>;

const disable: DisabledChange = { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED' } };
const demote: RoleChange = { role: 'USER', at: NOW, audit: { type: 'ROLE_CHANGED' } };

/** Every test gets an empty database: the last-ADMIN rules count every user in it. */
function freshStorage() {
  const opener = storageOpener();
  const state: { database?: TestDatabase; storage?: PostgresStorage } = {};
  beforeEach(async () => {
    state.database = await createTestDatabase();
    state.storage = await opener.open(state.database.url, { applicationName: 'A' });
  });
  afterEach(async () => {
    await opener.closeAll();
    await state.database?.drop();
  });
  return {
    get storage() {
      return state.storage!;
    },
    get url() {
      return state.database!.url;
    },
    /** A second instance on the same database: its own pool, its own LISTEN connection. */
    another: () => opener.open(state.database!.url, { applicationName: 'B' }),
  };
}

// The PostgreSQL adapter's own tests: registered on the PostgreSQL pass only
// (test/support/dialect.ts), where the rest of the suite runs on PostgreSQL too; the SQLite
// pass would run them unchanged a second time.
onlyOn('postgres')('PostgreSQL users: a password change between two instances', () => {
  const t = freshStorage();

  async function userWithSessions() {
    const user = await insertUser(t.storage, NOW);
    const kept = await insertSession(t.storage, user.id, NOW, LATER);
    const other = await insertSession(t.storage, user.id, NOW, LATER);
    return { user, kept, other };
  }

  async function isLive(sessionId: string) {
    return (await t.storage.sessions.findById(sessionId))?.revokedAt === null;
  }

  async function eventTypes(userId: string) {
    return (await t.storage.audit.page({ first: 100, userId })).rows.map((r) => r.type).sort();
  }

  it('two instances changing one password from the same verified hash: exactly one succeeds', async () => {
    const { user, kept } = await userWithSessions();
    const b = await t.another();
    const change = (hash: string) => ({
      expectedPasswordHash: 'old-hash',
      passwordHash: hash,
      at: NOW,
      keepSessionId: kept,
      revokeReason: 'PASSWORD_CHANGED',
      audit: { type: 'PASSWORD_CHANGED' as const, userId: user.id },
    });
    const results = await Promise.all([t.storage.users.changePassword(user.id, change('hash-a')), b.users.changePassword(user.id, change('hash-b'))]);
    assert.equal(results.filter((r) => r !== null).length, 1);
    const winner = results[0] !== null ? 'hash-a' : 'hash-b';
    assert.equal((await t.storage.users.findById(user.id))!.passwordHash, winner);
    assert.equal((await eventTypes(user.id)).filter((type) => type === 'PASSWORD_CHANGED').length, 1);
  });

});

onlyOn('postgres')('PostgreSQL users: the last-ADMIN guard holds between two instances', () => {
  const t = freshStorage();

  async function activeAdmins(url: string): Promise<number> {
    const [row] = await sqlOn<{ n: number }>(url, `SELECT count(*)::int AS n FROM users WHERE role = 'ADMIN' AND disabled_at IS NULL`);
    return row!.n;
  }

  // Repeated: one round could let both transactions run one after the other by chance.
  for (const [name, act] of [
    ['two concurrent demotions of the last two ADMINs leave one', (s: PostgresStorage, id: string) => s.users.setRole(id, demote)],
    ['two concurrent disables of the last two ADMINs leave one', (s: PostgresStorage, id: string) => s.users.setDisabled(id, disable)],
  ] as const) {
    it(name, async () => {
      const b = await t.another();
      for (let round = 0; round < 10; round++) {
        const first = await insertUser(t.storage, NOW, 'ADMIN');
        const second = await insertUser(t.storage, NOW, 'ADMIN');
        const outcomes = await Promise.all([act(t.storage, first.id), act(b, second.id)]);
        assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['CHANGED', 'LAST_ACTIVE_ADMIN'], `round ${round}`);
        assert.equal(await activeAdmins(t.url), 1, `round ${round}`);
        // Back to no active ADMIN for the next round, directly in SQL.
        await sqlOn(t.url, `UPDATE users SET role = 'USER'`);
      }
    });
  }

  it('a demotion and a disable of the last two ADMINs at once leave one', async () => {
    const b = await t.another();
    for (let round = 0; round < 10; round++) {
      const first = await insertUser(t.storage, NOW, 'ADMIN');
      const second = await insertUser(t.storage, NOW, 'ADMIN');
      const outcomes = await Promise.all([t.storage.users.setRole(first.id, demote), b.users.setDisabled(second.id, disable)]);
      assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['CHANGED', 'LAST_ACTIVE_ADMIN'], `round ${round}`);
      assert.equal(await activeAdmins(t.url), 1);
      await sqlOn(t.url, `UPDATE users SET role = 'USER', disabled_at = NULL`);
    }
  });

  it('two demotions held at the same point (both waiting on a lock) still leave one ADMIN', async () => {
    // Makes the interleaving certain rather than likely: an outside transaction holds the ADMIN
    // rows, both demotions start and wait on them, and only then is the lock released.
    const b = await t.another();
    const first = await insertUser(t.storage, NOW, 'ADMIN');
    const second = await insertUser(t.storage, NOW, 'ADMIN');
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT id FROM users WHERE role = 'ADMIN' FOR UPDATE`);
      const outcomes = Promise.all([t.storage.users.setRole(first.id, demote), b.users.setRole(second.id, demote)]);
      await eventually(
        async () => {
          const [row] = await sqlOn<{ n: number }>(t.url, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND (application_name LIKE 'A/%' OR application_name LIKE 'B/%')`);
          return row!.n === 2;
        },
        5_000,
        'both demotions waiting on the lock',
      );
      await holder.query('COMMIT');
      assert.deepEqual((await outcomes).map((o) => o.kind).sort(), ['CHANGED', 'LAST_ACTIVE_ADMIN']);
      assert.equal(await activeAdmins(t.url), 1);
    } finally {
      await holder.end();
    }
  });

  it('three instances demoting three ADMINs at once leave exactly one', async () => {
    const b = await t.another();
    const c = await t.another();
    const admins = [await insertUser(t.storage, NOW, 'ADMIN'), await insertUser(t.storage, NOW, 'ADMIN'), await insertUser(t.storage, NOW, 'ADMIN')];
    const outcomes = await Promise.all([t.storage, b, c].map((s, i) => s.users.setRole(admins[i]!.id, demote)));
    assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['CHANGED', 'CHANGED', 'LAST_ACTIVE_ADMIN']);
    assert.equal(await activeAdmins(t.url), 1);
  });
});

onlyOn('postgres')('PostgreSQL users: signup between two instances, and error translation', () => {
  const t = freshStorage();

  it('two instances signing up one email at once: one user, the other gets EmailTakenError', async () => {
    const b = await t.another();
    const signup = (storage: PostgresStorage, id: string) =>
      storage.users.create({ id, email: 'race@example.com', passwordHash: 'h', displayName: 'd', role: 'USER', createdAt: NOW }, { type: 'SIGNUP', userId: id });
    const outcomes = await Promise.allSettled([signup(t.storage, 'race-a'), signup(b, 'race-b')]);
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
    assert.ok(rejected.reason instanceof EmailTakenError);
  });

  it('a duplicate id is a storage error, not EmailTakenError, and carries no SQL', async () => {
    const user = await insertUser(t.storage, NOW);
    const error = await t.storage.users
      .create({ id: user.id, email: 'other@example.com', passwordHash: 'secret-hash', displayName: 'd', role: 'USER', createdAt: NOW }, { type: 'SIGNUP' })
      .then(() => assert.fail('expected a rejection'), (e: unknown) => e);
    assert.ok(error instanceof PostgresStorageError);
    assert.equal(error.code, '23505');
    assert.doesNotMatch(`${error.message} ${String(error.cause)} ${JSON.stringify(error)}`, /insert|secret-hash|other@example/i);
  });

});
