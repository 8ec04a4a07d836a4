import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DAY } from '../support/clock';
import { insertSession, insertUser, openTestStorage, type TestStorage } from '../support/storage';

const NOW = new Date(Date.UTC(2026, 0, 1));
const LATER = new Date(NOW.getTime() + 14 * DAY);

/** A value JSON.stringify refuses: the audit insert fails inside the transaction, after the other writes. */
const UNWRITABLE_DETAIL = { poison: 1n } as unknown as Record<string, unknown>;

describe('account changes and their audit events commit together', () => {
  let storage: TestStorage;
  beforeEach(() => {
    storage = openTestStorage();
  });
  afterEach(() => storage.close());

  async function userWithSessions() {
    const user = await insertUser(storage, NOW);
    const kept = await insertSession(storage, user.id, NOW, LATER);
    const other = await insertSession(storage, user.id, NOW, LATER);
    return { user, kept, other };
  }

  async function isLive(sessionId: string) {
    return (await storage.sessions.findById(sessionId))?.revokedAt === null;
  }

  async function eventTypes(userId: string) {
    return (await storage.audit.page({ first: 100, userId })).rows.map((r) => r.type).sort();
  }

  it('a password change writes the new hash, ends the other sessions and records PASSWORD_CHANGED', async () => {
    const { user, kept, other } = await userWithSessions();
    const result = await storage.users.changePassword(user.id, {
      expectedPasswordHash: 'old-hash',
      passwordHash: 'new-hash',
      at: NOW,
      keepSessionId: kept,
      revokeReason: 'PASSWORD_CHANGED',
      audit: { type: 'PASSWORD_CHANGED', userId: user.id },
    });
    assert.deepEqual(result, { sessionsEnded: 1 });
    assert.equal((await storage.users.findById(user.id))!.passwordHash, 'new-hash');
    assert.deepEqual([await isLive(kept), await isLive(other)], [true, false]);
    assert.ok((await eventTypes(user.id)).includes('PASSWORD_CHANGED'));
  });

  it('a password change whose audit event cannot be written changes neither the hash nor any session', async () => {
    const { user, kept, other } = await userWithSessions();
    await assert.rejects(
      storage.users.changePassword(user.id, {
        expectedPasswordHash: 'old-hash',
        passwordHash: 'new-hash',
        at: NOW,
        keepSessionId: kept,
        revokeReason: 'PASSWORD_CHANGED',
        audit: { type: 'PASSWORD_CHANGED', userId: user.id, detail: UNWRITABLE_DETAIL },
      }),
      TypeError,
    );
    assert.equal((await storage.users.findById(user.id))!.passwordHash, 'old-hash');
    assert.deepEqual([await isLive(kept), await isLive(other)], [true, true]);
    assert.ok(!(await eventTypes(user.id)).includes('PASSWORD_CHANGED'));
  });

  it('a password change against a hash that moved on meanwhile changes nothing', async () => {
    const { user, kept, other } = await userWithSessions();
    const result = await storage.users.changePassword(user.id, {
      expectedPasswordHash: 'some-other-hash',
      passwordHash: 'new-hash',
      at: NOW,
      keepSessionId: kept,
      revokeReason: 'PASSWORD_CHANGED',
      audit: { type: 'PASSWORD_CHANGED', userId: user.id },
    });
    assert.equal(result, null);
    assert.equal((await storage.users.findById(user.id))!.passwordHash, 'old-hash');
    assert.deepEqual([await isLive(kept), await isLive(other)], [true, true]);
    assert.ok(!(await eventTypes(user.id)).includes('PASSWORD_CHANGED'));
  });

  it('disabling whose audit event cannot be written leaves the user enabled and every session live', async () => {
    const { user, kept, other } = await userWithSessions();
    await assert.rejects(
      storage.users.setDisabled(user.id, { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED', userId: user.id, detail: UNWRITABLE_DETAIL } }),
      TypeError,
    );
    assert.equal((await storage.users.findById(user.id))!.disabledAt, null);
    assert.deepEqual([await isLive(kept), await isLive(other)], [true, true]);
    assert.ok(!(await eventTypes(user.id)).includes('USER_DISABLED'));
  });

  it('disabling ends every session of the user and no one else\'s', async () => {
    const { user, kept, other } = await userWithSessions();
    const bystander = await insertUser(storage, NOW);
    const bystanderSession = await insertSession(storage, bystander.id, NOW, LATER);
    const outcome = await storage.users.setDisabled(user.id, { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED', userId: user.id } });
    assert.equal(outcome.kind, 'CHANGED');
    assert.deepEqual([await isLive(kept), await isLive(other), await isLive(bystanderSession)], [false, false, true]);
  });

  it('the last active ADMIN is not disabled, and a second one is', async () => {
    const first = await insertUser(storage, NOW, 'ADMIN');
    const change = { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED' as const } };
    assert.equal((await storage.users.setDisabled(first.id, change)).kind, 'LAST_ACTIVE_ADMIN');
    assert.equal((await storage.users.findById(first.id))!.disabledAt, null);
    const second = await insertUser(storage, NOW, 'ADMIN');
    assert.equal((await storage.users.setDisabled(second.id, change)).kind, 'CHANGED');
    assert.equal((await storage.users.setDisabled(first.id, change)).kind, 'LAST_ACTIVE_ADMIN');
  });
});
