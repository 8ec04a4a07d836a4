import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import type { PostgresStorage } from '../../../src/storage/postgres/storage';
import { DAY } from '../../support/clock';
import { eventually, sqlOn, storageOpener, useTestDatabase } from '../../support/postgres';
import { insertSession, insertUser } from './fixtures';
import { onlyOn } from '../../support/dialect';

const NOW = new Date(Date.UTC(2026, 0, 1));
const LATER = new Date(NOW.getTime() + 14 * DAY);
const NOW_MS = NOW.getTime();

/**
 * Two instances (two storages: two pools, two LISTEN connections) on one database. B caches the
 * session check; what A writes must reach B through NOTIFY, and while B cannot hear it, B must
 * read the database on every check.
 */
// The PostgreSQL adapter's own tests: registered on the PostgreSQL pass only
// (test/support/dialect.ts), where the rest of the suite runs on PostgreSQL too; the SQLite
// pass would run them unchanged a second time.
onlyOn('postgres')('PostgreSQL viewer-state cache across instances (LISTEN/NOTIFY)', () => {
  const database = useTestDatabase();
  const opener = storageOpener();
  let a: PostgresStorage;
  let b: PostgresStorage;
  before(async () => {
    a = await opener.open(database.url, { applicationName: 'A' });
    // A slow first reconnection, so that the test sees B without its LISTEN connection.
    b = await opener.open(database.url, { applicationName: 'B', listener: { minRetryMs: 1_500, heartbeatMs: 60_000 } });
    assert.equal(b.diagnostics().listening, true);
  });
  after(() => opener.closeAll());
  afterEach(async () => {
    await eventually(() => b.diagnostics().listening, 10_000, "B's LISTEN connection back");
  });

  /** A user with a session that B has read once, and so holds in its cache. */
  async function cachedByB() {
    const user = await insertUser(a, NOW);
    const session = await insertSession(a, user.id, NOW, LATER);
    assert.equal((await b.sessions.findViewerState(session, NOW_MS))?.revokedAt, null);
    const reads = b.diagnostics().viewerStateReads;
    await b.sessions.findViewerState(session, NOW_MS);
    assert.equal(b.diagnostics().viewerStateReads, reads, 'B serves the session check from memory');
    return { user, session };
  }

  /** A change made behind every instance's back: plain SQL, no NOTIFY. */
  const revokeSilently = (session: string) => sqlOn(database.url, `UPDATE sessions SET revoked_at = now(), revoked_reason = 'SILENT' WHERE id = $1`, [session]);

  it('a session revoked through A is refused by B within 1 s', async () => {
    const { user, session } = await cachedByB();
    assert.equal(await a.sessions.revoke(session, 'LOGOUT', NOW, { type: 'LOGOUT', userId: user.id, sessionId: session }), true);
    const took = await eventually(async () => (await b.sessions.findViewerState(session, NOW_MS))?.revokedAt !== null, 1_000, 'B sees the revocation');
    assert.ok(took < 1_000);
  });

  for (const [what, change] of [
    ['disabled', (s: PostgresStorage, userId: string) => s.users.setDisabled(userId, { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED' } })],
    ['given another role', (s: PostgresStorage, userId: string) => s.users.setRole(userId, { role: 'ADMIN', at: NOW, audit: { type: 'ROLE_CHANGED' } })],
    ['logged out everywhere', (s: PostgresStorage, userId: string) => s.sessions.revokeAllForUser(userId, 'LOGOUT_ALL', NOW, {})],
  ] as const) {
    it(`a user ${what} through A is seen by B within 1 s`, async () => {
      const { user, session } = await cachedByB();
      const before = (await b.sessions.findViewerState(session, NOW_MS))!;
      await change(a, user.id);
      await eventually(
        async () => {
          const state = (await b.sessions.findViewerState(session, NOW_MS))!;
          return state.role !== before.role || state.disabledAt !== null || state.revokedAt !== null;
        },
        1_000,
        `B sees the user ${what}`,
      );
    });
  }

  it('a password change through A ends the other sessions for B within 1 s', async () => {
    const { user, session } = await cachedByB();
    const kept = await insertSession(a, user.id, NOW, LATER);
    await a.users.changePassword(user.id, {
      expectedPasswordHash: 'old-hash',
      passwordHash: 'new-hash',
      at: NOW,
      keepSessionId: kept,
      revokeReason: 'PASSWORD_CHANGED',
      audit: { type: 'PASSWORD_CHANGED', userId: user.id },
    });
    await eventually(async () => (await b.sessions.findViewerState(session, NOW_MS))?.revokedAt !== null, 1_000, 'B sees the session ended');
  });

  it('a write that rolls back notifies no one: B keeps serving from memory', async () => {
    const { user, session } = await cachedByB();
    const notifications = b.diagnostics().notifications;
    await assert.rejects(
      a.users.setDisabled(user.id, {
        disabled: true,
        at: NOW,
        revokeReason: 'USER_DISABLED',
        audit: { type: 'USER_DISABLED', detail: { poison: 1n } as unknown as Record<string, unknown> },
      }),
      TypeError,
    );
    // A committed notification sent after it arrives after it: wait for that one, then compare.
    await a.sessions.revoke('no-such-session', 'LOGOUT', NOW, null);
    const marker = await insertSession(a, user.id, NOW, LATER);
    await a.sessions.revoke(marker, 'LOGOUT', NOW, null);
    await eventually(() => b.diagnostics().notifications === notifications + 1, 1_000, 'the marker notification');
    assert.equal((await b.sessions.findViewerState(session, NOW_MS))?.disabledAt, null);
  });

  it("without its LISTEN connection B fails closed (reads the database on every check), and recovers", async () => {
    const { session } = await cachedByB();
    // The cache works: a change no one was told about is not seen while B listens.
    const other = await cachedByB();
    await revokeSilently(other.session);
    assert.equal((await b.sessions.findViewerState(other.session, NOW_MS))?.revokedAt, null, 'served from memory');

    const killed = await sqlOn<{ ok: boolean }>(
      database.url,
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'B/%:listen'`,
    );
    assert.deepEqual(killed, [{ ok: true }]);
    await eventually(() => !b.diagnostics().listening, 2_000, 'B notices its LISTEN connection is gone');

    // Fail closed: every check reads the database, so the silent revocations are seen at once...
    assert.notEqual((await b.sessions.findViewerState(other.session, NOW_MS))?.revokedAt, null);
    await revokeSilently(session);
    assert.notEqual((await b.sessions.findViewerState(session, NOW_MS))?.revokedAt, null);
    // ...and nothing is kept: a live session is read again on every check.
    const live = await insertSession(a, (await insertUser(a, NOW)).id, NOW, LATER);
    const reads = b.diagnostics().viewerStateReads;
    for (let i = 0; i < 3; i++) await b.sessions.findViewerState(live, NOW_MS);
    assert.equal(b.diagnostics().viewerStateReads, reads + 3);
    assert.equal(b.diagnostics().listening, false, 'still within the reconnection delay');

    // Recovery: LISTEN again, then the cache serves from memory and notifications reach it.
    await eventually(() => b.diagnostics().listening, 5_000, 'B listens again');
    await b.sessions.findViewerState(live, NOW_MS);
    const afterRecovery = b.diagnostics().viewerStateReads;
    await b.sessions.findViewerState(live, NOW_MS);
    assert.equal(b.diagnostics().viewerStateReads, afterRecovery, 'cached again');
    await a.sessions.revoke(live, 'LOGOUT', NOW, null);
    await eventually(async () => (await b.sessions.findViewerState(live, NOW_MS))?.revokedAt !== null, 1_000, 'B sees A revoke after recovering');
  });
});
