import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { NewDeviceAuthorization } from '../../src/storage/device-authorizations';
import type { Storage } from '../../src/storage/storage';
import { MINUTE, SECOND } from '../support/clock';
import { insertUser } from '../support/storage';

const NOW = new Date(Date.UTC(2026, 0, 1));
const at = (ms: number) => new Date(NOW.getTime() + ms);

function request(overrides: Partial<NewDeviceAuthorization> = {}): NewDeviceAuthorization {
  return {
    id: crypto.randomUUID(),
    deviceCodeHash: crypto.randomBytes(32).toString('base64url'),
    userCodeHash: crypto.randomBytes(32).toString('base64url'),
    clientId: 'tv',
    scopes: ['read:profile', 'read:sessions'],
    createdAt: NOW,
    expiresAt: at(10 * MINUTE),
    intervalSeconds: 5,
    ...overrides,
  };
}

/**
 * The device authorization repository's contract (src/storage/device-authorizations.ts), run on
 * the adapter of the pass by test/storage/device-authorizations.test.ts, like repository-contract.ts.
 */
export function describeDeviceAuthorizationContract(name: string, open: () => Promise<Storage>): void {
  describe(`device authorization repository contract: ${name}`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open();
    });
    afterEach(() => storage.close());

    it('create stores a pending request found by either hash, with its audit event; a taken user code hash answers false', async () => {
      const first = request();
      assert.equal(await storage.deviceAuthorizations.create(first, { type: 'DEVICE_AUTHORIZATION_STARTED', detail: { id: first.id } }), true);
      const expected = { ...first, status: 'pending', userId: null, grantedScopes: null, lastPolledAt: null, decidedAt: null, sessionId: null };
      assert.deepEqual(await storage.deviceAuthorizations.findByUserCodeHash(first.userCodeHash), expected);
      assert.deepEqual(await storage.deviceAuthorizations.findByDeviceCodeHash(first.deviceCodeHash), expected);
      assert.equal(await storage.deviceAuthorizations.findByUserCodeHash('nothing'), undefined);
      assert.equal(await storage.deviceAuthorizations.create(request({ userCodeHash: first.userCodeHash }), { type: 'DEVICE_AUTHORIZATION_STARTED' }), false);
      const events = (await storage.audit.page({ first: 10 })).rows.filter((row) => row.type === 'DEVICE_AUTHORIZATION_STARTED');
      assert.equal(events.length, 1, 'the refused insert wrote no audit event');
    });

    it('a request with no scopes keeps null (everything the role allows), not an empty list', async () => {
      const none = request({ scopes: null });
      await storage.deviceAuthorizations.create(none, { type: 'DEVICE_AUTHORIZATION_STARTED' });
      assert.equal((await storage.deviceAuthorizations.findByDeviceCodeHash(none.deviceCodeHash))!.scopes, null);
    });

    it('recordPoll: a poll sooner than the interval grows it by the slow-down step, a later one does not', async () => {
      const r = request();
      await storage.deviceAuthorizations.create(r, { type: 'DEVICE_AUTHORIZATION_STARTED' });
      const first = await storage.deviceAuthorizations.recordPoll(r.id, at(0), 5);
      assert.deepEqual([first!.tooSoon, first!.authorization.intervalSeconds], [false, 5]);
      const soon = await storage.deviceAuthorizations.recordPoll(r.id, at(4 * SECOND), 5);
      assert.deepEqual([soon!.tooSoon, soon!.authorization.intervalSeconds], [true, 10]);
      const stillSoon = await storage.deviceAuthorizations.recordPoll(r.id, at(13 * SECOND), 5);
      assert.deepEqual([stillSoon!.tooSoon, stillSoon!.authorization.intervalSeconds], [true, 15], '9 s after the last poll is under the new 10 s interval');
      const patient = await storage.deviceAuthorizations.recordPoll(r.id, at(28 * SECOND), 5);
      assert.deepEqual([patient!.tooSoon, patient!.authorization.intervalSeconds], [false, 15]);
      assert.deepEqual((await storage.deviceAuthorizations.findByDeviceCodeHash(r.deviceCodeHash))!.lastPolledAt, at(28 * SECOND));
      assert.equal(await storage.deviceAuthorizations.recordPoll('unknown', at(0), 5), undefined);
    });

    it('concurrent polls at one instant: exactly one is on time', async () => {
      const r = request();
      await storage.deviceAuthorizations.create(r, { type: 'DEVICE_AUTHORIZATION_STARTED' });
      const polls = await Promise.all(Array.from({ length: 5 }, () => storage.deviceAuthorizations.recordPoll(r.id, at(0), 5)));
      assert.equal(polls.filter((p) => !p!.tooSoon).length, 1);
    });

    it('decide: only a pending, unexpired request is decided, once, with its audit event', async () => {
      const user = await insertUser(storage, NOW);
      const r = request();
      await storage.deviceAuthorizations.create(r, { type: 'DEVICE_AUTHORIZATION_STARTED' });
      const approve = { approved: true as const, userId: user.id, grantedScopes: ['read:profile'] };
      assert.equal(await storage.deviceAuthorizations.decide(r.id, approve, at(MINUTE), { type: 'DEVICE_APPROVED', userId: user.id }), true);
      assert.equal(await storage.deviceAuthorizations.decide(r.id, { approved: false, userId: user.id }, at(MINUTE), { type: 'DEVICE_DENIED', userId: user.id }), false);
      const stored = (await storage.deviceAuthorizations.findByDeviceCodeHash(r.deviceCodeHash))!;
      assert.deepEqual([stored.status, stored.userId, stored.grantedScopes, stored.decidedAt], ['approved', user.id, ['read:profile'], at(MINUTE)]);
      const late = request();
      await storage.deviceAuthorizations.create(late, { type: 'DEVICE_AUTHORIZATION_STARTED' });
      assert.equal(await storage.deviceAuthorizations.decide(late.id, approve, at(10 * MINUTE), { type: 'DEVICE_APPROVED', userId: user.id }), false, 'expired');
      const types = (await storage.audit.page({ first: 10, userId: user.id })).rows.map((row) => row.type).sort();
      assert.deepEqual(types, ['DEVICE_APPROVED', 'SIGNUP']);
    });

    it('consume: an approved request is consumed once, by one of many concurrent callers; pending, denied and expired ones never', async () => {
      const user = await insertUser(storage, NOW);
      const r = request();
      await storage.deviceAuthorizations.create(r, { type: 'DEVICE_AUTHORIZATION_STARTED' });
      assert.equal(await storage.deviceAuthorizations.consume(r.id, 's0', at(MINUTE)), false, 'pending');
      await storage.deviceAuthorizations.decide(r.id, { approved: true, userId: user.id, grantedScopes: ['read:profile'] }, at(MINUTE), { type: 'DEVICE_APPROVED' });
      const results = await Promise.all(['s1', 's2', 's3', 's4'].map((sessionId) => storage.deviceAuthorizations.consume(r.id, sessionId, at(2 * MINUTE))));
      assert.equal(results.filter(Boolean).length, 1);
      const stored = (await storage.deviceAuthorizations.findByDeviceCodeHash(r.deviceCodeHash))!;
      assert.equal(stored.status, 'consumed');
      assert.equal(stored.sessionId, ['s1', 's2', 's3', 's4'][results.indexOf(true)]);

      const denied = request();
      await storage.deviceAuthorizations.create(denied, { type: 'DEVICE_AUTHORIZATION_STARTED' });
      await storage.deviceAuthorizations.decide(denied.id, { approved: false, userId: user.id }, at(MINUTE), { type: 'DEVICE_DENIED' });
      assert.equal(await storage.deviceAuthorizations.consume(denied.id, 's5', at(MINUTE)), false);

      const expired = request();
      await storage.deviceAuthorizations.create(expired, { type: 'DEVICE_AUTHORIZATION_STARTED' });
      await storage.deviceAuthorizations.decide(expired.id, { approved: true, userId: user.id, grantedScopes: [] }, at(MINUTE), { type: 'DEVICE_APPROVED' });
      assert.equal(await storage.deviceAuthorizations.consume(expired.id, 's6', at(10 * MINUTE)), false);
    });

    it('pruneExpired deletes the requests that expired before the cutoff', async () => {
      const old = request({ expiresAt: at(MINUTE) });
      const live = request({ expiresAt: at(10 * MINUTE) });
      await storage.deviceAuthorizations.create(old, { type: 'DEVICE_AUTHORIZATION_STARTED' });
      await storage.deviceAuthorizations.create(live, { type: 'DEVICE_AUTHORIZATION_STARTED' });
      assert.equal(await storage.deviceAuthorizations.pruneExpired(at(5 * MINUTE)), 1);
      assert.equal(await storage.deviceAuthorizations.findByDeviceCodeHash(old.deviceCodeHash), undefined);
      assert.ok(await storage.deviceAuthorizations.findByDeviceCodeHash(live.deviceCodeHash));
    });

    it("a session's scopes and client id round-trip through create, findById, listLiveForUser and findRefreshState", async () => {
      const user = await insertUser(storage, NOW);
      const token = { id: crypto.randomUUID(), tokenHash: crypto.randomBytes(32).toString('hex'), createdAt: NOW, expiresAt: at(60 * MINUTE) };
      await storage.sessions.create(
        { id: 'device-session', userId: user.id, createdAt: NOW, lastUsedAt: NOW, expiresAt: at(60 * MINUTE), maxExpiresAt: at(60 * MINUTE), scopes: ['read:profile'], clientId: 'tv' },
        token,
        { type: 'LOGIN_SUCCEEDED', userId: user.id },
      );
      const stored = (await storage.sessions.findById('device-session'))!;
      assert.deepEqual([stored.scopes, stored.clientId], [['read:profile'], 'tv']);
      assert.deepEqual((await storage.sessions.listLiveForUser(user.id, NOW)).map((s) => [s.scopes, s.clientId]), [[['read:profile'], 'tv']]);
      const state = (await storage.sessions.findRefreshState(token.tokenHash))!;
      assert.deepEqual([state.session.scopes, state.session.clientId], [['read:profile'], 'tv']);
    });

    it('a login session has null scopes and client id', async () => {
      const user = await insertUser(storage, NOW);
      const token = { id: crypto.randomUUID(), tokenHash: crypto.randomBytes(32).toString('hex'), createdAt: NOW, expiresAt: at(MINUTE) };
      await storage.sessions.create({ id: 'login', userId: user.id, createdAt: NOW, lastUsedAt: NOW, expiresAt: at(MINUTE), maxExpiresAt: at(MINUTE) }, token, { type: 'LOGIN_SUCCEEDED' });
      const stored = (await storage.sessions.findById('login'))!;
      assert.deepEqual([stored.scopes, stored.clientId], [null, null]);
    });
  });
}
