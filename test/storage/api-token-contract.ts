import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ApiTokenLimitError, type NewApiToken } from '../../src/storage/api-tokens';
import type { Storage } from '../../src/storage/storage';
import { DAY, MINUTE } from '../support/clock';
import { insertUser } from '../support/storage';

const NOW = new Date(Date.UTC(2026, 0, 1));
const at = (ms: number) => new Date(NOW.getTime() + ms);

function row(id: string, userId: string, overrides: Partial<NewApiToken> = {}): NewApiToken {
  return { id, userId, name: `token ${id}`, scopes: ['read:profile', 'read:sessions'], tokenHash: `hash-${id}`, prefix: 'kcp_ab12', createdAt: NOW, expiresAt: null, ...overrides };
}

/** The API-token repository's contract, run on every adapter with the same harness as repository-contract.ts. */
export function describeApiTokenContract(name: string, open: () => Promise<Storage>): void {
  describe(`api token repository contract: ${name}`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open();
    });
    afterEach(() => storage.close());

    const created = (userId: string) => ({ type: 'API_TOKEN_CREATED' as const, userId });

    it('create stores every field with its audit event; findById, findByHash and findViewerState read it back', async () => {
      const user = await insertUser(storage, NOW, 'ADMIN');
      await storage.apiTokens.create(row('t1', user.id, { expiresAt: at(DAY), scopes: ['read:users', 'introspect'] }), 50, NOW, created(user.id));
      const expected = { ...row('t1', user.id, { expiresAt: at(DAY), scopes: ['read:users', 'introspect'] }), lastUsedAt: null, revokedAt: null };
      assert.deepEqual(await storage.apiTokens.findById('t1'), expected);
      assert.deepEqual(await storage.apiTokens.findByHash('hash-t1'), expected);
      const { passwordHash, updatedAt, ...listed } = user;
      assert.deepEqual(await storage.apiTokens.findViewerState('hash-t1', NOW.getTime()), {
        tokenId: 't1',
        userId: user.id,
        scopes: ['read:users', 'introspect'],
        role: 'ADMIN',
        revokedAt: null,
        expiresAt: at(DAY),
        disabledAt: null,
        lastUsedAt: null,
        createdAt: NOW,
        user: listed,
      });
      assert.equal(await storage.apiTokens.findViewerState('hash-unknown', NOW.getTime()), undefined);
      assert.equal(await storage.apiTokens.findById('unknown'), undefined);
      const events = (await storage.audit.page({ first: 10, userId: user.id, type: 'API_TOKEN_CREATED' })).rows;
      assert.equal(events.length, 1);
    });

    it('create refuses a token past the limit of live tokens, writing nothing; revoked and expired ones do not count', async () => {
      const user = await insertUser(storage, NOW);
      await storage.apiTokens.create(row('a', user.id), 2, NOW, created(user.id));
      await storage.apiTokens.create(row('b', user.id, { expiresAt: at(MINUTE) }), 2, NOW, created(user.id));
      await assert.rejects(storage.apiTokens.create(row('c', user.id), 2, NOW, created(user.id)), ApiTokenLimitError);
      assert.equal(await storage.apiTokens.findById('c'), undefined);
      assert.equal((await storage.audit.page({ first: 10, userId: user.id, type: 'API_TOKEN_CREATED' })).rows.length, 2);
      // b has expired two minutes later: room for one more.
      await storage.apiTokens.create(row('c', user.id, { createdAt: at(2 * MINUTE) }), 2, at(2 * MINUTE), created(user.id));
      await storage.apiTokens.revoke('a', at(2 * MINUTE), { type: 'API_TOKEN_REVOKED', userId: user.id });
      await storage.apiTokens.create(row('d', user.id, { createdAt: at(2 * MINUTE) }), 2, at(2 * MINUTE), created(user.id));
    });

    it('of creates of one user at the same moment, no more than the limit succeed', async () => {
      const user = await insertUser(storage, NOW);
      const results = await Promise.allSettled(['p', 'q', 'r', 's'].map((id) => storage.apiTokens.create(row(id, user.id), 2, NOW, created(user.id))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
      assert.ok(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof ApiTokenLimitError));
      assert.equal((await storage.apiTokens.listLiveForUser(user.id, NOW)).length, 2);
    });

    it('listLiveForUser lists the tokens neither revoked nor expired, oldest first, of that user only', async () => {
      const user = await insertUser(storage, NOW);
      const other = await insertUser(storage, NOW);
      await storage.apiTokens.create(row('new', user.id, { createdAt: at(2) }), 50, NOW, created(user.id));
      await storage.apiTokens.create(row('old', user.id, { createdAt: at(1) }), 50, NOW, created(user.id));
      await storage.apiTokens.create(row('expired', user.id, { expiresAt: at(-1) }), 50, NOW, created(user.id));
      await storage.apiTokens.create(row('revoked', user.id), 50, NOW, created(user.id));
      await storage.apiTokens.create(row('theirs', other.id), 50, NOW, created(other.id));
      await storage.apiTokens.revoke('revoked', NOW, { type: 'API_TOKEN_REVOKED' });
      assert.deepEqual((await storage.apiTokens.listLiveForUser(user.id, at(3))).map((t) => t.id), ['old', 'new']);
    });

    it('revoke revokes once (true, then false) and writes its audit event only the first time; the state shows it at once', async () => {
      const user = await insertUser(storage, NOW);
      await storage.apiTokens.create(row('t', user.id), 50, NOW, created(user.id));
      assert.equal((await storage.apiTokens.findViewerState('hash-t', NOW.getTime()))!.revokedAt, null);
      assert.equal(await storage.apiTokens.revoke('t', at(1), { type: 'API_TOKEN_REVOKED', userId: user.id }), true);
      assert.equal(await storage.apiTokens.revoke('t', at(2), { type: 'API_TOKEN_REVOKED', userId: user.id }), false);
      assert.equal(await storage.apiTokens.revoke('unknown', at(2), { type: 'API_TOKEN_REVOKED', userId: user.id }), false);
      assert.deepEqual((await storage.apiTokens.findViewerState('hash-t', NOW.getTime()))!.revokedAt, at(1));
      assert.equal((await storage.audit.page({ first: 10, userId: user.id, type: 'API_TOKEN_REVOKED' })).rows.length, 1);
    });

    it('findViewerState sees a disable and a role change of the owner at once', async () => {
      const user = await insertUser(storage, NOW);
      await insertUser(storage, NOW, 'ADMIN');
      await storage.apiTokens.create(row('t', user.id), 50, NOW, created(user.id));
      const now = NOW.getTime();
      assert.equal((await storage.apiTokens.findViewerState('hash-t', now))!.role, 'USER');
      await storage.users.setRole(user.id, { role: 'ADMIN', at: NOW, audit: { type: 'ROLE_CHANGED' } });
      assert.equal((await storage.apiTokens.findViewerState('hash-t', now))!.role, 'ADMIN');
      await storage.users.setDisabled(user.id, { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED' } });
      assert.deepEqual((await storage.apiTokens.findViewerState('hash-t', now))!.disabledAt, NOW);
    });

    it('touchLastUsed writes only when the stored time is older than notBefore (or none)', async () => {
      const user = await insertUser(storage, NOW);
      await storage.apiTokens.create(row('t', user.id), 50, NOW, created(user.id));
      assert.equal(await storage.apiTokens.touchLastUsed('t', at(0), at(-MINUTE)), true);
      assert.equal(await storage.apiTokens.touchLastUsed('t', at(30_000), at(30_000 - MINUTE)), false, 'another instance, 30 s later');
      assert.deepEqual((await storage.apiTokens.findById('t'))!.lastUsedAt, at(0));
      assert.equal(await storage.apiTokens.touchLastUsed('t', at(MINUTE + 1), at(1)), true);
      assert.deepEqual((await storage.apiTokens.findById('t'))!.lastUsedAt, at(MINUTE + 1));
    });

    it('pruneExpired deletes tokens revoked or expired before the cutoff and keeps the rest', async () => {
      const user = await insertUser(storage, NOW);
      await storage.apiTokens.create(row('live', user.id), 50, NOW, created(user.id));
      await storage.apiTokens.create(row('expired', user.id, { expiresAt: at(MINUTE) }), 50, NOW, created(user.id));
      await storage.apiTokens.create(row('revoked', user.id), 50, NOW, created(user.id));
      await storage.apiTokens.revoke('revoked', NOW, { type: 'API_TOKEN_REVOKED' });
      assert.equal(await storage.apiTokens.pruneExpired(at(DAY)), 2);
      assert.ok(await storage.apiTokens.findById('live'));
      assert.equal(await storage.apiTokens.pruneExpired(at(DAY)), 0);
    });
  });
}
