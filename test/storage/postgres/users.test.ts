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
onlyOn('postgres')('PostgreSQL users: account changes and their audit events commit together', () => {
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

  it('a password change writes the new hash, ends the other sessions and records PASSWORD_CHANGED', async () => {
    const { user, kept, other } = await userWithSessions();
    const result = await t.storage.users.changePassword(user.id, {
      expectedPasswordHash: 'old-hash',
      passwordHash: 'new-hash',
      at: NOW,
      keepSessionId: kept,
      revokeReason: 'PASSWORD_CHANGED',
      audit: { type: 'PASSWORD_CHANGED', userId: user.id },
    });
    assert.deepEqual(result, { sessionsEnded: 1 });
    assert.equal((await t.storage.users.findById(user.id))!.passwordHash, 'new-hash');
    assert.deepEqual([await isLive(kept), await isLive(other)], [true, false]);
    const events = (await t.storage.audit.page({ first: 100, userId: user.id, type: 'PASSWORD_CHANGED' })).rows;
    assert.deepEqual(events.map((e) => e.detail), [{ sessionsEnded: 1 }]);
    const ended = await t.storage.sessions.findById(other);
    assert.deepEqual([ended!.revokedAt, ended!.revokedReason], [NOW, 'PASSWORD_CHANGED']);
  });

  it('a password change whose audit event cannot be written changes neither the hash nor any session', async () => {
    const { user, kept, other } = await userWithSessions();
    await assert.rejects(
      t.storage.users.changePassword(user.id, {
        expectedPasswordHash: 'old-hash',
        passwordHash: 'new-hash',
        at: NOW,
        keepSessionId: kept,
        revokeReason: 'PASSWORD_CHANGED',
        audit: { type: 'PASSWORD_CHANGED', userId: user.id, detail: UNWRITABLE_DETAIL },
      }),
      TypeError,
    );
    assert.equal((await t.storage.users.findById(user.id))!.passwordHash, 'old-hash');
    assert.deepEqual([await isLive(kept), await isLive(other)], [true, true]);
    assert.ok(!(await eventTypes(user.id)).includes('PASSWORD_CHANGED'));
  });

  it('a password change against a hash that moved on meanwhile changes nothing', async () => {
    const { user, kept, other } = await userWithSessions();
    const result = await t.storage.users.changePassword(user.id, {
      expectedPasswordHash: 'some-other-hash',
      passwordHash: 'new-hash',
      at: NOW,
      keepSessionId: kept,
      revokeReason: 'PASSWORD_CHANGED',
      audit: { type: 'PASSWORD_CHANGED', userId: user.id },
    });
    assert.equal(result, null);
    assert.equal((await t.storage.users.findById(user.id))!.passwordHash, 'old-hash');
    assert.deepEqual([await isLive(kept), await isLive(other)], [true, true]);
    assert.ok(!(await eventTypes(user.id)).includes('PASSWORD_CHANGED'));
  });

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

  it('disabling whose audit event cannot be written leaves the user enabled and every session live', async () => {
    const { user, kept, other } = await userWithSessions();
    await assert.rejects(
      t.storage.users.setDisabled(user.id, { ...disable, audit: { type: 'USER_DISABLED', userId: user.id, detail: UNWRITABLE_DETAIL } }),
      TypeError,
    );
    assert.equal((await t.storage.users.findById(user.id))!.disabledAt, null);
    assert.deepEqual([await isLive(kept), await isLive(other)], [true, true]);
    assert.ok(!(await eventTypes(user.id)).includes('USER_DISABLED'));
  });

  it("disabling ends every session of the user and no one else's; enabling again ends none", async () => {
    const { user, kept, other } = await userWithSessions();
    const bystander = await insertUser(t.storage, NOW);
    const bystanderSession = await insertSession(t.storage, bystander.id, NOW, LATER);
    const outcome = await t.storage.users.setDisabled(user.id, { ...disable, audit: { type: 'USER_DISABLED', userId: user.id } });
    assert.equal(outcome.kind, 'CHANGED');
    assert.equal(outcome.kind === 'CHANGED' && outcome.sessionsEnded, 2);
    assert.deepEqual(outcome.kind === 'CHANGED' && outcome.user.disabledAt, NOW);
    assert.deepEqual([await isLive(kept), await isLive(other), await isLive(bystanderSession)], [false, false, true]);
    assert.equal((await t.storage.users.setDisabled(user.id, disable)).kind, 'UNCHANGED');
    const enabled = await t.storage.users.setDisabled(user.id, { disabled: false, at: LATER, revokeReason: 'x', audit: { type: 'USER_ENABLED', userId: user.id } });
    assert.deepEqual(enabled.kind === 'CHANGED' && [enabled.user.disabledAt, enabled.sessionsEnded], [null, 0]);
    assert.equal((await t.storage.users.setDisabled('no-such-user', disable)).kind, 'NOT_FOUND');
  });

  it('the last active ADMIN is not disabled, and a second one is', async () => {
    const first = await insertUser(t.storage, NOW, 'ADMIN');
    assert.equal((await t.storage.users.setDisabled(first.id, disable)).kind, 'LAST_ACTIVE_ADMIN');
    assert.equal((await t.storage.users.findById(first.id))!.disabledAt, null);
    const second = await insertUser(t.storage, NOW, 'ADMIN');
    assert.equal((await t.storage.users.setDisabled(second.id, disable)).kind, 'CHANGED');
    assert.equal((await t.storage.users.setDisabled(first.id, disable)).kind, 'LAST_ACTIVE_ADMIN');
  });

  it('a role change records ROLE_CHANGED with from and to; the last active ADMIN keeps the role', async () => {
    const admin = await insertUser(t.storage, NOW, 'ADMIN');
    const user = await insertUser(t.storage, NOW);
    assert.equal((await t.storage.users.setRole(admin.id, demote)).kind, 'LAST_ACTIVE_ADMIN');
    const promoted = await t.storage.users.setRole(user.id, { role: 'ADMIN', at: LATER, audit: { type: 'ROLE_CHANGED', userId: user.id, detail: { by: 'test' } } });
    assert.equal(promoted.kind, 'CHANGED');
    assert.deepEqual(promoted.kind === 'CHANGED' && [promoted.user.role, promoted.user.updatedAt], ['ADMIN', LATER]);
    const events = (await t.storage.audit.page({ first: 10, userId: user.id, type: 'ROLE_CHANGED' })).rows;
    assert.deepEqual(events.map((e) => e.detail), [{ by: 'test', from: 'USER', to: 'ADMIN' }]);
    assert.equal((await t.storage.users.setRole(user.id, { ...demote, role: 'ADMIN' })).kind, 'UNCHANGED');
    assert.equal((await t.storage.users.setRole(admin.id, demote)).kind, 'CHANGED');
    assert.equal((await t.storage.users.setRole(user.id, demote)).kind, 'LAST_ACTIVE_ADMIN');
    assert.equal((await t.storage.users.setRole('no-such-user', demote)).kind, 'NOT_FOUND');
  });

  it('a disabled ADMIN does not count: the one active ADMIN left is not demoted', async () => {
    const first = await insertUser(t.storage, NOW, 'ADMIN');
    const second = await insertUser(t.storage, NOW, 'ADMIN');
    assert.equal((await t.storage.users.setDisabled(second.id, disable)).kind, 'CHANGED');
    assert.equal((await t.storage.users.setRole(first.id, demote)).kind, 'LAST_ACTIVE_ADMIN');
    // The disabled one can be demoted: it is not the active one.
    assert.equal((await t.storage.users.setRole(second.id, demote)).kind, 'CHANGED');
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

onlyOn('postgres')('PostgreSQL users: reads, creation, pages', () => {
  const t = freshStorage();

  it('creates a user with its SIGNUP event and finds it by id and email, with Date times and nulls as on SQLite', async () => {
    const user = await insertUser(t.storage, NOW);
    assert.deepEqual(user, {
      id: user.id,
      email: `${user.id}@example.com`,
      passwordHash: 'old-hash',
      displayName: 'someone',
      role: 'USER',
      disabledAt: null,
      createdAt: NOW,
      updatedAt: NOW,
    });
    assert.deepEqual(await t.storage.users.findById(user.id), user);
    assert.deepEqual(await t.storage.users.findByEmail(user.email), user);
    assert.equal(await t.storage.users.findById('nobody'), undefined);
    assert.equal(await t.storage.users.findByEmail('nobody@example.com'), undefined);
    assert.deepEqual((await t.storage.audit.page({ first: 10, userId: user.id })).rows.map((e) => e.type), ['SIGNUP']);
  });

  it('a taken email is EmailTakenError, and neither the user nor its audit event is written', async () => {
    const user = await insertUser(t.storage, NOW);
    const before = await t.storage.audit.count({});
    await assert.rejects(
      t.storage.users.create({ id: 'another-id', email: user.email, passwordHash: 'h', displayName: 'd', role: 'USER', createdAt: NOW }, { type: 'SIGNUP', userId: 'another-id' }),
      EmailTakenError,
    );
    assert.equal(await t.storage.users.findById('another-id'), undefined);
    assert.equal(await t.storage.audit.count({}), before);
  });

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

  it('upgradePasswordHash replaces the expected hash only, and leaves updatedAt and sessions alone', async () => {
    const user = await insertUser(t.storage, NOW);
    const session = await insertSession(t.storage, user.id, NOW, LATER);
    assert.equal(await t.storage.users.upgradePasswordHash(user.id, 'not-the-hash', 'rehashed'), false);
    assert.equal(await t.storage.users.upgradePasswordHash(user.id, 'old-hash', 'rehashed'), true);
    const after = (await t.storage.users.findById(user.id))!;
    assert.deepEqual([after.passwordHash, after.updatedAt], ['rehashed', NOW]);
    assert.equal((await t.storage.sessions.findById(session))!.revokedAt, null);
  });

  it('pages oldest first, with one extra row, after a (createdAt, id) cursor; counts every user', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await insertUser(t.storage, new Date(NOW.getTime() + (i < 3 ? 0 : i) * 1000)));
    const ordered = [...made].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const all = await t.storage.users.page({ first: 100 });
    // PostgreSQL compares text with the database's collation; ids of one createdAt are in that order.
    assert.deepEqual(all.rows.map((r) => r.createdAt.getTime()), ordered.map((u) => u.createdAt.getTime()));
    assert.equal(all.rows.length, 5);
    const firstPage = await t.storage.users.page({ first: 2 });
    assert.equal(firstPage.rows.length, 3);
    assert.deepEqual(Object.keys(firstPage.rows[0]!), ['id', 'email', 'displayName', 'role', 'disabledAt', 'createdAt']);
    const last = firstPage.rows[1]!;
    const next = await t.storage.users.page({ first: 2, after: { createdAt: last.createdAt, id: last.id } });
    assert.deepEqual(next.rows.map((r) => r.id), all.rows.slice(2, 5).map((r) => r.id));
    assert.equal(await t.storage.users.count(), 5);
    assert.equal(typeof (await t.storage.users.count()), 'number');
  });
});
