import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, type TestContext } from 'node:test';
import { pruneExpired } from '../../src/sessions/prune';
import type { StoredSigningKey } from '../../src/storage/signing-keys';
import type { Storage } from '../../src/storage/storage';
import { IdentityTakenError, type Identity, type OAuthState } from '../../src/storage/oauth';
import { EmailTakenError } from '../../src/storage/users';
import { DAY, HOUR, ManualClock, MINUTE, SECOND } from '../support/clock';
import { insertSession, insertSessionWithToken, insertUser } from '../support/storage';
import { millisecondsOfUuidV7 } from '../support/uuid-v7';

const NOW = new Date(Date.UTC(2026, 0, 1));
const LATER = new Date(NOW.getTime() + 14 * DAY);
const at = (ms: number) => new Date(NOW.getTime() + ms);

/** A value JSON.stringify refuses: the audit insert fails inside the transaction, after the other writes. */
const UNWRITABLE_DETAIL = { poison: 1n } as unknown as Record<string, unknown>;

/**
 * What every storage adapter must do, written against the Storage interface only: one suite,
 * run once per adapter (test/storage/repositories.test.ts), in the manner of better-auth's and
 * Auth.js's adapter tests. `open` gives a fresh, empty, migrated Storage for each test.
 */
export function describeRepositoryContract(name: string, open: () => Promise<Storage>): void {
  describe(`repository contract: ${name}`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open();
    });
    afterEach(() => storage.close());

    async function isLive(sessionId: string) {
      return (await storage.sessions.findById(sessionId))?.revokedAt === null;
    }

    async function eventTypes(userId: string) {
      return (await storage.audit.page({ first: 100, userId })).rows.map((r) => r.type).sort();
    }

    describe('storage', () => {
      it('names its dialect and answers ping until closed; close is idempotent', async () => {
        assert.ok(storage.dialect === 'sqlite' || storage.dialect === 'postgres');
        assert.equal(await storage.ping(), true);
        await storage.close();
        assert.equal(await storage.ping(), false);
        await storage.close();
      });
    });

    describe('users', () => {
      it('create returns the user as stored, and findById and findByEmail read it back', async () => {
        const created = await storage.users.create(
          { id: 'u1', email: 'ada@example.com', passwordHash: 'hash', displayName: 'Ada', role: 'ADMIN', createdAt: NOW },
          { type: 'SIGNUP', userId: 'u1' },
        );
        const expected = { id: 'u1', email: 'ada@example.com', passwordHash: 'hash', displayName: 'Ada', role: 'ADMIN', disabledAt: null, emailVerifiedAt: null, createdAt: NOW, updatedAt: NOW };
        assert.deepEqual(created, expected);
        assert.deepEqual(await storage.users.findById('u1'), expected);
        assert.deepEqual(await storage.users.findByEmail('ada@example.com'), expected);
        assert.equal(await storage.users.findById('nobody'), undefined);
        assert.equal(await storage.users.findByEmail('nobody@example.com'), undefined);
        assert.deepEqual(await eventTypes('u1'), ['SIGNUP']);
      });

      it('create keeps a verified email as verified (a provider vouched for it), in the user and in the list', async () => {
        const created = await storage.users.create(
          { id: 'v1', email: 'verified@example.com', passwordHash: 'hash', displayName: 'V', role: 'USER', createdAt: NOW, emailVerifiedAt: NOW },
          { type: 'SIGNUP', userId: 'v1' },
        );
        assert.deepEqual(created.emailVerifiedAt, NOW);
        assert.deepEqual((await storage.users.findById('v1'))!.emailVerifiedAt, NOW);
        assert.deepEqual((await storage.users.page({ first: 10 })).rows.find((row) => row.id === 'v1')!.emailVerifiedAt, NOW);
      });

      it('create with an email already taken is EmailTakenError, and writes neither the user nor its audit event', async () => {
        const first = await insertUser(storage, NOW);
        await assert.rejects(
          storage.users.create({ id: 'u2', email: first.email, passwordHash: 'x', displayName: 'y', role: 'USER', createdAt: NOW }, { type: 'SIGNUP', userId: 'u2' }),
          EmailTakenError,
        );
        assert.equal(await storage.users.findById('u2'), undefined);
        assert.deepEqual(await eventTypes('u2'), []);
        assert.equal(await storage.users.count(), 1);
      });

      it('a password change writes the new hash, ends the other sessions and records PASSWORD_CHANGED', async () => {
        const user = await insertUser(storage, NOW);
        const kept = await insertSession(storage, user.id, NOW, LATER);
        const other = await insertSession(storage, user.id, NOW, LATER);
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
        assert.equal((await storage.sessions.findById(other))!.revokedReason, 'PASSWORD_CHANGED');
        const [event] = (await storage.audit.page({ first: 1, userId: user.id, type: 'PASSWORD_CHANGED' })).rows;
        assert.deepEqual(event!.detail, { sessionsEnded: 1 });
      });

      it('a password change whose audit event cannot be written changes neither the hash nor any session', async () => {
        const user = await insertUser(storage, NOW);
        const kept = await insertSession(storage, user.id, NOW, LATER);
        const other = await insertSession(storage, user.id, NOW, LATER);
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
        const user = await insertUser(storage, NOW);
        const kept = await insertSession(storage, user.id, NOW, LATER);
        const other = await insertSession(storage, user.id, NOW, LATER);
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

      it('upgradePasswordHash replaces the hash it expects, keeps updatedAt and ends no session; false if the hash moved on', async () => {
        const user = await insertUser(storage, NOW);
        const session = await insertSession(storage, user.id, NOW, LATER);
        assert.equal(await storage.users.upgradePasswordHash(user.id, 'some-other-hash', 'rehashed'), false);
        assert.equal((await storage.users.findById(user.id))!.passwordHash, 'old-hash');
        assert.equal(await storage.users.upgradePasswordHash(user.id, 'old-hash', 'rehashed'), true);
        const stored = (await storage.users.findById(user.id))!;
        assert.equal(stored.passwordHash, 'rehashed');
        assert.deepEqual(stored.updatedAt, NOW);
        assert.equal(await isLive(session), true);
      });

      it('disabling whose audit event cannot be written leaves the user enabled and every session live', async () => {
        const user = await insertUser(storage, NOW);
        const kept = await insertSession(storage, user.id, NOW, LATER);
        const other = await insertSession(storage, user.id, NOW, LATER);
        await assert.rejects(
          storage.users.setDisabled(user.id, { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED', userId: user.id, detail: UNWRITABLE_DETAIL } }),
          TypeError,
        );
        assert.equal((await storage.users.findById(user.id))!.disabledAt, null);
        assert.deepEqual([await isLive(kept), await isLive(other)], [true, true]);
        assert.ok(!(await eventTypes(user.id)).includes('USER_DISABLED'));
      });

      it("disabling ends every session of the user and no one else's", async () => {
        const user = await insertUser(storage, NOW);
        const kept = await insertSession(storage, user.id, NOW, LATER);
        const other = await insertSession(storage, user.id, NOW, LATER);
        const bystander = await insertUser(storage, NOW);
        const bystanderSession = await insertSession(storage, bystander.id, NOW, LATER);
        const outcome = await storage.users.setDisabled(user.id, { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED', userId: user.id } });
        assert.equal(outcome.kind, 'CHANGED');
        assert.deepEqual([await isLive(kept), await isLive(other), await isLive(bystanderSession)], [false, false, true]);
      });

      it('setDisabled reports CHANGED with the user and sessions ended, UNCHANGED, NOT_FOUND; re-enabling ends nothing', async () => {
        const user = await insertUser(storage, NOW);
        await insertSession(storage, user.id, NOW, LATER);
        const change = (disabled: boolean, when: Date) => ({ disabled, at: when, revokeReason: 'USER_DISABLED', audit: { type: disabled ? ('USER_DISABLED' as const) : ('USER_ENABLED' as const), userId: user.id } });
        const disabled = await storage.users.setDisabled(user.id, change(true, at(MINUTE)));
        assert.deepEqual(disabled, { kind: 'CHANGED', user: { ...user, disabledAt: at(MINUTE), updatedAt: at(MINUTE) }, sessionsEnded: 1 });
        assert.deepEqual(await storage.users.setDisabled(user.id, change(true, at(2 * MINUTE))), { kind: 'UNCHANGED', user: { ...user, disabledAt: at(MINUTE), updatedAt: at(MINUTE) } });
        const enabled = await storage.users.setDisabled(user.id, change(false, at(3 * MINUTE)));
        assert.deepEqual(enabled, { kind: 'CHANGED', user: { ...user, disabledAt: null, updatedAt: at(3 * MINUTE) }, sessionsEnded: 0 });
        assert.deepEqual(await storage.users.setDisabled('nobody', change(true, NOW)), { kind: 'NOT_FOUND' });
        const [event] = (await storage.audit.page({ first: 1, userId: user.id, type: 'USER_ENABLED' })).rows;
        assert.deepEqual(event!.detail, { sessionsEnded: 0 });
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

      it('setRole changes the role with ROLE_CHANGED (from, to), and reports UNCHANGED and NOT_FOUND', async () => {
        const user = await insertUser(storage, NOW);
        const change = (role: 'USER' | 'ADMIN') => ({ role, at: at(MINUTE), audit: { type: 'ROLE_CHANGED' as const, userId: user.id, actorId: 'someone', detail: { note: 'kept' } } });
        assert.deepEqual(await storage.users.setRole(user.id, change('ADMIN')), { kind: 'CHANGED', user: { ...user, role: 'ADMIN', updatedAt: at(MINUTE) } });
        assert.deepEqual(await storage.users.setRole(user.id, change('ADMIN')), { kind: 'UNCHANGED', user: { ...user, role: 'ADMIN', updatedAt: at(MINUTE) } });
        assert.deepEqual(await storage.users.setRole('nobody', change('ADMIN')), { kind: 'NOT_FOUND' });
        const events = (await storage.audit.page({ first: 10, userId: user.id, type: 'ROLE_CHANGED' })).rows;
        assert.equal(events.length, 1);
        assert.deepEqual(events[0]!.detail, { note: 'kept', from: 'USER', to: 'ADMIN' });
        assert.equal(events[0]!.actorId, 'someone');
      });

      it('the last active ADMIN is not demoted; a disabled ADMIN does not count as one', async () => {
        const admin = await insertUser(storage, NOW, 'ADMIN');
        const demote = { role: 'USER' as const, at: NOW, audit: { type: 'ROLE_CHANGED' as const } };
        assert.deepEqual(await storage.users.setRole(admin.id, demote), { kind: 'LAST_ACTIVE_ADMIN' });
        const other = await insertUser(storage, NOW, 'ADMIN');
        await storage.users.setDisabled(other.id, { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED' } });
        assert.deepEqual(await storage.users.setRole(admin.id, demote), { kind: 'LAST_ACTIVE_ADMIN' });
        assert.equal((await storage.users.setRole(other.id, demote)).kind, 'CHANGED', 'a disabled ADMIN may be demoted');
        assert.equal((await storage.users.findById(admin.id))!.role, 'ADMIN');
      });

      it('page lists oldest first (createdAt, then id), first + 1 of them, after a cursor, without password hashes', async () => {
        const ids = ['b', 'a', 'c', 'd'];
        for (const [index, id] of ids.entries()) {
          // a and b share a creation time: the id breaks the tie.
          const createdAt = at(index === 0 ? 0 : (index - 1) * SECOND);
          await storage.users.create({ id, email: `${id}@example.com`, passwordHash: 'secret', displayName: id.toUpperCase(), role: 'USER', createdAt }, { type: 'SIGNUP', userId: id });
        }
        const first = await storage.users.page({ first: 2 });
        assert.deepEqual(first.rows.map((u) => u.id), ['a', 'b', 'c']);
        assert.deepEqual(first.rows[0], { id: 'a', email: 'a@example.com', displayName: 'A', role: 'USER', disabledAt: null, emailVerifiedAt: null, createdAt: NOW });
        const next = await storage.users.page({ first: 2, after: { createdAt: NOW, id: 'b' } });
        assert.deepEqual(next.rows.map((u) => u.id), ['c', 'd']);
        assert.deepEqual((await storage.users.page({ first: 10, after: { createdAt: at(2 * SECOND), id: 'd' } })).rows, []);
        assert.equal(await storage.users.count(), 4);
      });
    });

    describe('sessions', () => {
      it('create stores the session, its first refresh token and the audit event; absent origin fields are null', async () => {
        const user = await insertUser(storage, NOW);
        const { sessionId, tokenId, tokenHash } = await insertSessionWithToken(storage, user.id, NOW, LATER);
        assert.deepEqual(await storage.sessions.findById(sessionId), {
          id: sessionId,
          userId: user.id,
          createdAt: NOW,
          lastUsedAt: NOW,
          expiresAt: LATER,
          maxExpiresAt: LATER,
          revokedAt: null,
          revokedReason: null,
          userAgent: null,
          ip: null,
          csrfTokenHash: null,
          scopes: null,
          clientId: null,
        });
        assert.deepEqual(await storage.sessions.findTokenById(tokenId), {
          id: tokenId,
          sessionId,
          tokenHash,
          createdAt: NOW,
          expiresAt: LATER,
          rotatedAt: null,
          rotationNonce: null,
          replacedBy: null,
        });
        assert.ok((await eventTypes(user.id)).includes('LOGIN_SUCCEEDED'));
        assert.equal(await storage.sessions.findById('nothing'), undefined);
        assert.equal(await storage.sessions.findTokenById('nothing'), undefined);

        await storage.sessions.create(
          { id: 's2', userId: user.id, createdAt: NOW, lastUsedAt: NOW, expiresAt: LATER, maxExpiresAt: LATER },
          { id: 't2', tokenHash: 'h2', createdAt: NOW, expiresAt: LATER },
          { type: 'LOGIN_SUCCEEDED', userId: user.id, sessionId: 's2' },
        );
        const bare = (await storage.sessions.findById('s2'))!;
        assert.deepEqual([bare.userAgent, bare.ip, bare.csrfTokenHash], [null, null, null]);
      });

      it('create keeps origin and CSRF hash, and fails whole when its audit event cannot be written', async () => {
        const user = await insertUser(storage, NOW);
        await storage.sessions.create(
          { id: 's1', userId: user.id, createdAt: NOW, lastUsedAt: NOW, expiresAt: LATER, maxExpiresAt: LATER, userAgent: 'ua', ip: '192.0.2.1', csrfTokenHash: 'csrf' },
          { id: 't1', tokenHash: 'h1', createdAt: NOW, expiresAt: LATER },
          { type: 'LOGIN_SUCCEEDED', userId: user.id, sessionId: 's1' },
        );
        const stored = (await storage.sessions.findById('s1'))!;
        assert.deepEqual([stored.userAgent, stored.ip, stored.csrfTokenHash], ['ua', '192.0.2.1', 'csrf']);
        await assert.rejects(
          storage.sessions.create(
            { id: 's2', userId: user.id, createdAt: NOW, lastUsedAt: NOW, expiresAt: LATER, maxExpiresAt: LATER },
            { id: 't2', tokenHash: 'h2', createdAt: NOW, expiresAt: LATER },
            { type: 'LOGIN_SUCCEEDED', userId: user.id, sessionId: 's2', detail: UNWRITABLE_DETAIL },
          ),
          TypeError,
        );
        assert.equal(await storage.sessions.findById('s2'), undefined);
        assert.equal(await storage.sessions.findTokenById('t2'), undefined);
      });

      it('findViewerState reads the session with its user; undefined for an unknown session', async () => {
        const user = await insertUser(storage, NOW, 'ADMIN');
        const sessionId = await insertSession(storage, user.id, NOW, LATER);
        const { passwordHash, updatedAt, ...listed } = user;
        assert.deepEqual(await storage.sessions.findViewerState(sessionId, NOW.getTime()), {
          sessionId,
          userId: user.id,
          role: 'ADMIN',
          revokedAt: null,
          expiresAt: LATER,
          disabledAt: null,
          user: listed,
        });
        assert.equal(await storage.sessions.findViewerState('nothing', NOW.getTime()), undefined);
      });

      it('findViewerState sees every change made through the repositories, at once', async () => {
        const user = await insertUser(storage, NOW);
        const sessionId = await insertSession(storage, user.id, NOW, LATER);
        const now = NOW.getTime();
        assert.equal((await storage.sessions.findViewerState(sessionId, now))!.role, 'USER');
        await storage.users.setRole(user.id, { role: 'ADMIN', at: NOW, audit: { type: 'ROLE_CHANGED' } });
        assert.equal((await storage.sessions.findViewerState(sessionId, now))!.role, 'ADMIN');
        await insertUser(storage, NOW, 'ADMIN'); // so that the user is not the last active ADMIN
        await storage.users.setDisabled(user.id, { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED' } });
        assert.deepEqual((await storage.sessions.findViewerState(sessionId, now))!.disabledAt, NOW);
        assert.deepEqual((await storage.sessions.findViewerState(sessionId, now))!.revokedAt, NOW);
      });

      it('findRefreshState finds a token by its hash, with its session and user; undefined for an unknown hash', async () => {
        const user = await insertUser(storage, NOW);
        const { sessionId, tokenId, tokenHash } = await insertSessionWithToken(storage, user.id, NOW, LATER);
        const { passwordHash, updatedAt, ...listed } = user;
        assert.deepEqual(await storage.sessions.findRefreshState(tokenHash), {
          token: { id: tokenId, createdAt: NOW, expiresAt: LATER, rotatedAt: null, rotationNonce: null, replacedBy: null },
          session: { id: sessionId, csrfTokenHash: null, revokedAt: null, expiresAt: LATER, maxExpiresAt: LATER, scopes: null, clientId: null },
          user: listed,
        });
        assert.equal(await storage.sessions.findRefreshState('unknown'), undefined);
      });

      function rotation(sessionId: string, tokenId: string, successorId: string, when: Date) {
        return {
          tokenId,
          at: when,
          nonce: `nonce-${successorId}`,
          successor: { id: successorId, tokenHash: `hash-${successorId}`, createdAt: when, expiresAt: at(20 * DAY) },
          sessionId,
          sessionExpiresAt: at(20 * DAY),
          audit: { type: 'TOKEN_REFRESHED' as const, sessionId },
        };
      }

      it('rotate marks the token rotated, inserts its successor, slides the session and writes the audit event', async () => {
        const user = await insertUser(storage, NOW);
        const { sessionId, tokenId, tokenHash } = await insertSessionWithToken(storage, user.id, NOW, LATER);
        assert.equal(await storage.sessions.rotate(rotation(sessionId, tokenId, 'next', at(HOUR))), true);
        assert.deepEqual(await storage.sessions.findTokenById(tokenId), {
          id: tokenId,
          sessionId,
          tokenHash,
          createdAt: NOW,
          expiresAt: LATER,
          rotatedAt: at(HOUR),
          rotationNonce: 'nonce-next',
          replacedBy: 'next',
        });
        const state = (await storage.sessions.findRefreshState('hash-next'))!;
        assert.deepEqual(state.token, { id: 'next', createdAt: at(HOUR), expiresAt: at(20 * DAY), rotatedAt: null, rotationNonce: null, replacedBy: null });
        assert.equal(state.session.id, sessionId);
        const session = (await storage.sessions.findById(sessionId))!;
        assert.deepEqual([session.lastUsedAt, session.expiresAt, session.maxExpiresAt], [at(HOUR), at(20 * DAY), LATER]);
        const refreshed = (await storage.audit.page({ first: 10, type: 'TOKEN_REFRESHED' })).rows;
        assert.deepEqual(refreshed.map((e) => [e.sessionId, e.at, millisecondsOfUuidV7(e.id)]), [[sessionId, at(HOUR), at(HOUR).getTime()]]);
      });

      it('rotate of a token already rotated is false and writes nothing', async () => {
        const user = await insertUser(storage, NOW);
        const { sessionId, tokenId } = await insertSessionWithToken(storage, user.id, NOW, LATER);
        await storage.sessions.rotate(rotation(sessionId, tokenId, 'first', at(HOUR)));
        assert.equal(await storage.sessions.rotate(rotation(sessionId, tokenId, 'second', at(2 * HOUR))), false);
        assert.equal(await storage.sessions.findTokenById('second'), undefined);
        assert.equal((await storage.sessions.findTokenById(tokenId))!.replacedBy, 'first');
        assert.deepEqual((await storage.sessions.findById(sessionId))!.lastUsedAt, at(HOUR));
        assert.equal((await storage.audit.page({ first: 10, type: 'TOKEN_REFRESHED' })).rows.length, 1);
      });

      it('of rotations of one token asked for at the same moment, exactly one wins; other sessions rotate beside them', async () => {
        const user = await insertUser(storage, NOW);
        const a = await insertSessionWithToken(storage, user.id, NOW, LATER);
        const b = await insertSessionWithToken(storage, user.id, NOW, LATER);
        const results = await Promise.all([
          storage.sessions.rotate(rotation(a.sessionId, a.tokenId, 'a1', at(HOUR))),
          storage.sessions.rotate(rotation(a.sessionId, a.tokenId, 'a2', at(HOUR))),
          storage.sessions.rotate(rotation(b.sessionId, b.tokenId, 'b1', at(HOUR))),
        ]);
        assert.deepEqual(results, [true, false, true]);
        assert.equal((await storage.sessions.findTokenById(a.tokenId))!.replacedBy, 'a1');
        assert.equal(await storage.sessions.findTokenById('a2'), undefined);
        assert.ok(await storage.sessions.findTokenById('b1'));
      });

      it('revoke ends a live session once (true, then false) and writes its audit event either way', async () => {
        const user = await insertUser(storage, NOW);
        const sessionId = await insertSession(storage, user.id, NOW, LATER);
        const audit = { type: 'LOGOUT' as const, userId: user.id, sessionId };
        assert.equal(await storage.sessions.revoke(sessionId, 'LOGOUT', at(MINUTE), audit), true);
        assert.equal(await storage.sessions.revoke(sessionId, 'REVOKED', at(2 * MINUTE), audit), false);
        const session = (await storage.sessions.findById(sessionId))!;
        assert.deepEqual([session.revokedAt, session.revokedReason], [at(MINUTE), 'LOGOUT']);
        assert.equal((await storage.audit.page({ first: 10, type: 'LOGOUT' })).rows.length, 2);
        assert.equal(await storage.sessions.revoke('nothing', 'LOGOUT', NOW, null), false);
      });

      it('revokeAllForUser ends every live session of the user but the one kept, and records how many ended', async () => {
        const user = await insertUser(storage, NOW);
        const kept = await insertSession(storage, user.id, NOW, LATER);
        const other = await insertSession(storage, user.id, NOW, LATER);
        const ended = await insertSession(storage, user.id, NOW, LATER);
        await storage.sessions.revoke(ended, 'LOGOUT', NOW, null);
        const bystander = await insertUser(storage, NOW);
        const bystanderSession = await insertSession(storage, bystander.id, NOW, LATER);
        const count = await storage.sessions.revokeAllForUser(user.id, 'LOGOUT_ALL', at(MINUTE), {
          exceptSessionId: kept,
          audit: { type: 'LOGOUT_ALL', userId: user.id, detail: { via: 'test' } },
        });
        assert.equal(count, 1);
        assert.deepEqual([await isLive(kept), await isLive(other), await isLive(bystanderSession)], [true, false, true]);
        assert.deepEqual((await storage.sessions.findById(ended))!.revokedReason, 'LOGOUT', 'an ended session keeps its first reason');
        const [event] = (await storage.audit.page({ first: 1, type: 'LOGOUT_ALL' })).rows;
        assert.deepEqual(event!.detail, { via: 'test', sessionsEnded: 1 });
        assert.equal(await storage.sessions.revokeAllForUser(user.id, 'LOGOUT_ALL', at(MINUTE), {}), 1, 'without exception the kept one ends too');
        assert.equal(await isLive(kept), false);
      });

      it('listLiveForUser lists the sessions neither ended nor expired, oldest first', async () => {
        const user = await insertUser(storage, NOW);
        const second = await insertSession(storage, user.id, at(MINUTE), LATER);
        const first = await insertSession(storage, user.id, NOW, LATER);
        const expired = await insertSession(storage, user.id, NOW, at(HOUR));
        const ended = await insertSession(storage, user.id, NOW, LATER);
        await storage.sessions.revoke(ended, 'LOGOUT', NOW, null);
        await insertSession(storage, (await insertUser(storage, NOW)).id, NOW, LATER);
        const live = await storage.sessions.listLiveForUser(user.id, at(2 * HOUR));
        assert.deepEqual(live.map((s) => s.id), [first, second]);
        assert.ok(!live.some((s) => s.id === expired));
        assert.equal(live[0]!.userId, user.id);
      });

      it("pruneExpired keeps a rotated token of a live session until it expires, and the session's current token", async () => {
        const user = await insertUser(storage, NOW);
        const { sessionId, tokenId } = await insertSessionWithToken(storage, user.id, NOW, at(DAY));
        await storage.sessions.rotate({ ...rotation(sessionId, tokenId, 'current', at(HOUR)), sessionExpiresAt: at(3 * DAY) });
        assert.deepEqual(await storage.sessions.pruneExpired(at(2 * HOUR)), { sessions: 0, refreshTokens: 0 });
        assert.ok(await storage.sessions.findTokenById(tokenId), 'reuse of a rotated token must still be recognised');
        assert.deepEqual(await storage.sessions.pruneExpired(at(DAY + 1)), { sessions: 0, refreshTokens: 1 });
        assert.equal(await storage.sessions.findTokenById(tokenId), undefined);
        assert.ok(await storage.sessions.findTokenById('current'));
        assert.ok(await storage.sessions.findById(sessionId));
      });
    });

    describe('pruneExpired over sessions and audit', () => {
      let clock: ManualClock;
      beforeEach(() => {
        clock = new ManualClock();
      });

      const prune = () => pruneExpired({ sessions: storage.sessions, audit: storage.audit, clock, auditRetentionMs: 90 * DAY });

      it('deletes expired and ended sessions with their refresh tokens, and keeps live ones', async () => {
        const now = new Date(clock.now());
        const user = await insertUser(storage, now);
        const live = await insertSession(storage, user.id, now, new Date(clock.now() + DAY));
        const expiring = await insertSession(storage, user.id, now, new Date(clock.now() + HOUR));
        const ended = await insertSession(storage, user.id, now, new Date(clock.now() + DAY));
        await storage.sessions.revoke(ended, 'LOGOUT', now, null);
        clock.advance(2 * HOUR);

        const result = await prune();
        assert.deepEqual({ sessions: result.sessions, refreshTokens: result.refreshTokens }, { sessions: 2, refreshTokens: 2 });
        assert.ok(await storage.sessions.findById(live));
        assert.equal(await storage.sessions.findById(expiring), undefined);
        assert.equal(await storage.sessions.findById(ended), undefined);
      });

      it('deletes audit events older than the retention and keeps newer ones', async () => {
        await storage.audit.record(new Date(clock.now()), { type: 'LOGIN_FAILED', detail: { n: 'old' } });
        clock.advance(10 * DAY);
        await storage.audit.record(new Date(clock.now()), { type: 'LOGIN_FAILED', detail: { n: 'recent' } });
        clock.advance(85 * DAY);

        const result = await prune();
        assert.equal(result.auditEvents, 1);
        const left = await storage.audit.page({ first: 10 });
        assert.deepEqual(left.rows.map((r) => r.detail), [{ n: 'recent' }]);
      });

      it('a second run right after the first finds nothing to delete', async () => {
        const now = new Date(clock.now());
        const user = await insertUser(storage, now);
        await insertSession(storage, user.id, now, new Date(clock.now() + HOUR));
        clock.advance(100 * DAY);
        const first = await prune();
        assert.ok(first.sessions > 0 && first.auditEvents > 0);
        assert.deepEqual(await prune(), { sessions: 0, refreshTokens: 0, auditEvents: 0 });
      });
    });

    describe('audit', () => {
      it('record stores every field, absent ones as null, and the detail as JSON', async () => {
        await storage.audit.record(NOW, { type: 'LOGIN_FAILED', userId: 'u1', actorId: 'a1', sessionId: 's1', ip: '192.0.2.1', userAgent: 'ua', detail: { reason: 'WRONG_PASSWORD', nested: { n: 1, list: [true, null] } } });
        await storage.audit.record(at(SECOND), { type: 'RATE_LIMITED' });
        const { rows } = await storage.audit.page({ first: 10 });
        assert.equal(rows.length, 2);
        const [bare, full] = rows;
        assert.notEqual(full!.id, bare!.id);
        // Keyed by time (src/storage/time-ordered-id.ts): each id carries its event's time.
        assert.deepEqual([millisecondsOfUuidV7(full!.id), millisecondsOfUuidV7(bare!.id)], [NOW.getTime(), at(SECOND).getTime()]);
        assert.deepEqual({ ...full!, id: undefined }, {
          id: undefined,
          at: NOW,
          type: 'LOGIN_FAILED',
          userId: 'u1',
          actorId: 'a1',
          sessionId: 's1',
          ip: '192.0.2.1',
          userAgent: 'ua',
          detail: { reason: 'WRONG_PASSWORD', nested: { n: 1, list: [true, null] } },
        });
        assert.deepEqual({ ...bare!, id: undefined }, { id: undefined, at: at(SECOND), type: 'RATE_LIMITED', userId: null, actorId: null, sessionId: null, ip: null, userAgent: null, detail: null });
      });

      it('page lists newest first, first + 1 of them, before a cursor, filtered by user and type; count agrees', async () => {
        for (let i = 0; i < 5; i++) {
          await storage.audit.record(at(i * SECOND), { type: i % 2 === 0 ? 'LOGIN_SUCCEEDED' : 'LOGIN_FAILED', userId: i < 3 ? 'u1' : 'u2', detail: { i } });
        }
        // Two events at the same moment: the id orders them.
        await storage.audit.record(at(4 * SECOND), { type: 'LOGOUT', userId: 'u2', detail: { i: 5 } });
        const numbers = (rows: Array<{ detail: Record<string, unknown> | null }>) => rows.map((r) => r.detail!.i);

        const first = await storage.audit.page({ first: 2 });
        assert.equal(first.rows.length, 3);
        assert.deepEqual(numbers(first.rows).slice(2), [3]);
        assert.deepEqual(new Set(numbers(first.rows).slice(0, 2)), new Set([4, 5]));
        const second = first.rows[1]!;
        const rest = await storage.audit.page({ first: 10, before: { at: second.at, id: second.id } });
        assert.deepEqual(numbers(rest.rows), [3, 2, 1, 0]);
        const tied = first.rows[0]!;
        assert.deepEqual(numbers((await storage.audit.page({ first: 10, before: { at: tied.at, id: tied.id } })).rows), numbers([second, ...rest.rows]));

        assert.deepEqual(numbers((await storage.audit.page({ first: 10, userId: 'u1' })).rows), [2, 1, 0]);
        assert.deepEqual(numbers((await storage.audit.page({ first: 10, type: 'LOGIN_SUCCEEDED' })).rows), [4, 2, 0]);
        assert.deepEqual(numbers((await storage.audit.page({ first: 10, userId: 'u1', type: 'LOGIN_FAILED' })).rows), [1]);
        assert.deepEqual(await Promise.all([storage.audit.count({}), storage.audit.count({ userId: 'u2' }), storage.audit.count({ type: 'LOGOUT' }), storage.audit.count({ userId: 'u1', type: 'LOGOUT' })]), [6, 3, 1, 0]);
      });

      it('deleteOlderThan deletes the events strictly before the cutoff and says how many', async () => {
        await storage.audit.record(NOW, { type: 'LOGIN_FAILED' });
        await storage.audit.record(at(SECOND), { type: 'LOGIN_FAILED' });
        await storage.audit.record(at(2 * SECOND), { type: 'LOGIN_FAILED' });
        assert.equal(await storage.audit.deleteOlderThan(at(SECOND)), 1);
        assert.equal(await storage.audit.deleteOlderThan(at(SECOND)), 0);
        assert.deepEqual((await storage.audit.page({ first: 10 })).rows.map((r) => r.at), [at(2 * SECOND), at(SECOND)]);
      });
    });

    describe('signing keys', () => {
      const key = (kid: string, createdAt: Date, activatesAt = createdAt): StoredSigningKey => ({
        kid,
        alg: 'ES256',
        publicJwk: JSON.stringify({ kty: 'EC', kid }),
        privateKeyEncrypted: `sealed-${kid}`,
        createdAt,
        activatesAt,
        retiredAt: null,
      });

      it('insert and list round-trip every field', async () => {
        assert.deepEqual(await storage.signingKeys.list(), []);
        await storage.signingKeys.insert(key('k1', NOW, at(10 * MINUTE)));
        await storage.signingKeys.insert(key('k2', at(HOUR)));
        const listed = await storage.signingKeys.list();
        assert.deepEqual(
          listed.sort((a, b) => a.kid.localeCompare(b.kid)),
          [key('k1', NOW, at(10 * MINUTE)), key('k2', at(HOUR))],
        );
      });

      it('insertUnlessCreatedSince inserts only while no key was created after `since`', async () => {
        await storage.signingKeys.insert(key('k1', NOW));
        assert.equal(await storage.signingKeys.insertUnlessCreatedSince(key('k2', at(HOUR)), NOW), true);
        assert.equal(await storage.signingKeys.insertUnlessCreatedSince(key('k3', at(HOUR)), NOW), false, 'k2 was created after NOW');
        assert.equal(await storage.signingKeys.insertUnlessCreatedSince(key('k4', at(2 * HOUR)), at(HOUR)), true, 'a key created exactly at `since` is not newer');
        assert.deepEqual((await storage.signingKeys.list()).map((k) => k.kid).sort(), ['k1', 'k2', 'k4']);
      });

      it('of two instances rotating at the same moment, one adds a key', async () => {
        await storage.signingKeys.insert(key('k1', NOW));
        const results = await Promise.all([
          storage.signingKeys.insertUnlessCreatedSince(key('a', at(HOUR)), NOW),
          storage.signingKeys.insertUnlessCreatedSince(key('b', at(HOUR)), NOW),
        ]);
        assert.deepEqual(results.sort(), [false, true]);
        assert.equal((await storage.signingKeys.list()).length, 2);
      });

      it('retire sets the retirement time once: a second retire keeps the first', async () => {
        await storage.signingKeys.insert(key('k1', NOW));
        await storage.signingKeys.insert(key('k2', NOW));
        await storage.signingKeys.retire('k1', at(HOUR));
        await storage.signingKeys.retire('k1', at(2 * HOUR));
        await storage.signingKeys.retire('unknown', at(HOUR));
        const byKid = new Map((await storage.signingKeys.list()).map((k) => [k.kid, k.retiredAt]));
        assert.deepEqual(byKid, new Map([['k1', at(HOUR)], ['k2', null]]));
      });
    });

    describe('oauth (social login)', () => {
      const state = (hash: string, overrides: Partial<OAuthState> = {}): OAuthState => ({
        stateHash: hash,
        provider: 'acme',
        redirectUri: 'https://app.example/cb',
        codeVerifierSealed: 'v1.sealed',
        nonce: 'n',
        purpose: 'LOGIN',
        userId: null,
        createdAt: NOW,
        expiresAt: at(10 * MINUTE),
        ...overrides,
      });
      const identity = (id: string, userId: string, subject: string, provider = 'acme'): Identity => ({
        id,
        userId,
        provider,
        subject,
        email: `${subject}@example.com`,
        emailVerified: true,
        createdAt: NOW,
      });
      const passwordless = (id: string, email = `${id}@example.com`) => ({ id, email, passwordHash: null, displayName: id, role: 'USER' as const, createdAt: NOW, emailVerifiedAt: NOW });

      it('a state is consumed once, before it expires; unknown, used and expired states give null', async () => {
        await storage.oauth.saveState(state('h1'), { type: 'OAUTH_STARTED' });
        await storage.oauth.saveState(state('h2'), { type: 'OAUTH_STARTED' });
        assert.deepEqual(await storage.oauth.consumeState('h1', at(MINUTE)), state('h1'));
        assert.equal(await storage.oauth.consumeState('h1', at(MINUTE)), null);
        assert.equal(await storage.oauth.consumeState('nope', at(MINUTE)), null);
        assert.equal(await storage.oauth.consumeState('h2', at(10 * MINUTE)), null, 'expired at expiresAt');
        assert.equal((await storage.audit.page({ first: 10, type: 'OAUTH_STARTED' })).rows.length, 2);
      });

      it('of two concurrent consumptions of one state, exactly one gets it', async () => {
        await storage.oauth.saveState(state('race'), { type: 'OAUTH_STARTED' });
        const results = await Promise.all([storage.oauth.consumeState('race', at(SECOND)), storage.oauth.consumeState('race', at(SECOND))]);
        assert.equal(results.filter((r) => r !== null).length, 1);
      });

      it('deleteExpiredStates deletes the states that expired before the cutoff', async () => {
        await storage.oauth.saveState(state('old', { expiresAt: at(MINUTE) }), { type: 'OAUTH_STARTED' });
        await storage.oauth.saveState(state('new', { expiresAt: at(HOUR) }), { type: 'OAUTH_STARTED' });
        assert.equal(await storage.oauth.deleteExpiredStates(at(2 * MINUTE)), 1);
        assert.ok(await storage.oauth.consumeState('new', at(3 * MINUTE)));
      });

      it('createUserWithIdentity writes a passwordless user, the identity and the audit event together', async () => {
        const { user, identity: linked } = await storage.oauth.createUserWithIdentity(passwordless('p1'), identity('i1', 'p1', 's1'), { type: 'SIGNUP', userId: 'p1' });
        assert.equal(user.passwordHash, null);
        assert.deepEqual(user.emailVerifiedAt, NOW);
        assert.deepEqual(linked, identity('i1', 'p1', 's1'));
        assert.deepEqual(await storage.oauth.findIdentity('acme', 's1'), linked);
        assert.deepEqual(await storage.oauth.findIdentityById('i1'), linked);
        assert.equal(await storage.oauth.findIdentity('other', 's1'), undefined);
        assert.deepEqual(await storage.oauth.listIdentities('p1'), [linked]);
        assert.equal((await storage.users.findById('p1'))!.passwordHash, null);
        assert.deepEqual(await eventTypes('p1'), ['SIGNUP']);
      });

      it('createUserWithIdentity with a linked (provider, subject) or a taken email writes nothing', async () => {
        await storage.oauth.createUserWithIdentity(passwordless('p1'), identity('i1', 'p1', 's1'), { type: 'SIGNUP', userId: 'p1' });
        await assert.rejects(storage.oauth.createUserWithIdentity(passwordless('p2'), identity('i2', 'p2', 's1'), { type: 'SIGNUP', userId: 'p2' }), IdentityTakenError);
        await assert.rejects(storage.oauth.createUserWithIdentity(passwordless('p3', 'p1@example.com'), identity('i3', 'p3', 's3'), { type: 'SIGNUP', userId: 'p3' }), EmailTakenError);
        assert.equal(await storage.users.findById('p2'), undefined);
        assert.equal(await storage.users.findById('p3'), undefined);
        assert.equal(await storage.oauth.findIdentityById('i3'), undefined);
        assert.deepEqual(await eventTypes('p2'), []);
      });

      it('linkIdentity adds an identity with its audit event; a linked (provider, subject) is IdentityTakenError', async () => {
        const user = await insertUser(storage, NOW);
        const linked = await storage.oauth.linkIdentity(identity('i1', user.id, 's1'), { type: 'IDENTITY_LINKED', userId: user.id });
        assert.deepEqual(await storage.oauth.listIdentities(user.id), [linked]);
        await assert.rejects(storage.oauth.linkIdentity(identity('i2', user.id, 's1'), { type: 'IDENTITY_LINKED', userId: user.id }), IdentityTakenError);
        assert.deepEqual(await eventTypes(user.id), ['IDENTITY_LINKED', 'SIGNUP']);
      });

      it("unlinkIdentity never removes a passwordless account's last identity, removes one of two, and only the owner's", async () => {
        await storage.oauth.createUserWithIdentity(passwordless('p1'), identity('i1', 'p1', 's1'), { type: 'SIGNUP', userId: 'p1' });
        const audit = { type: 'IDENTITY_UNLINKED' as const, userId: 'p1' };
        assert.deepEqual(await storage.oauth.unlinkIdentity('i1', 'p1', NOW, audit), { kind: 'LAST_SIGN_IN_METHOD' });
        await storage.oauth.linkIdentity(identity('i2', 'p1', 's2', 'github'), { type: 'IDENTITY_LINKED', userId: 'p1' });
        const other = await insertUser(storage, NOW);
        assert.deepEqual(await storage.oauth.unlinkIdentity('i1', other.id, NOW, audit), { kind: 'NOT_FOUND' });
        assert.deepEqual(await storage.oauth.unlinkIdentity('i1', 'p1', NOW, audit), { kind: 'UNLINKED', identity: identity('i1', 'p1', 's1') });
        assert.deepEqual(await storage.oauth.unlinkIdentity('i2', 'p1', NOW, audit), { kind: 'LAST_SIGN_IN_METHOD' });
        // An account with a password can remove its only identity.
        await storage.oauth.linkIdentity(identity('i3', other.id, 's3'), { type: 'IDENTITY_LINKED', userId: other.id });
        assert.equal((await storage.oauth.unlinkIdentity('i3', other.id, NOW, { type: 'IDENTITY_UNLINKED', userId: other.id })).kind, 'UNLINKED');
        assert.deepEqual(await eventTypes('p1'), ['IDENTITY_LINKED', 'IDENTITY_UNLINKED', 'SIGNUP']);
      });

      it("of two concurrent unlinks of a passwordless account's last two identities, one succeeds", async () => {
        await storage.oauth.createUserWithIdentity(passwordless('p1'), identity('i1', 'p1', 's1'), { type: 'SIGNUP', userId: 'p1' });
        await storage.oauth.linkIdentity(identity('i2', 'p1', 's2', 'github'), { type: 'IDENTITY_LINKED', userId: 'p1' });
        const audit = { type: 'IDENTITY_UNLINKED' as const, userId: 'p1' };
        const outcomes = await Promise.all([storage.oauth.unlinkIdentity('i1', 'p1', NOW, audit), storage.oauth.unlinkIdentity('i2', 'p1', NOW, audit)]);
        assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['LAST_SIGN_IN_METHOD', 'UNLINKED']);
        assert.equal((await storage.oauth.listIdentities('p1')).length, 1);
      });
    });

    describe('rate-limit counters', () => {
      it('a counter allows `points` per window; counters of different names do not share keys', async () => {
        const login = storage.limiterStore.counter({ name: 'LOGIN', points: 2, durationMs: MINUTE });
        const signup = storage.limiterStore.counter({ name: 'SIGNUP', points: 1, durationMs: MINUTE });
        await login.consume('k');
        const second = await login.consume('k');
        assert.equal(second.remainingPoints, 0);
        await assert.rejects(login.consume('k'), (refusal: { remainingPoints: number; msBeforeNext: number }) => refusal.remainingPoints === 0 && refusal.msBeforeNext > 0);
        assert.equal((await signup.consume('k')).consumedPoints, 1);
        assert.equal((await login.get('k'))!.consumedPoints, 3);
        await login.delete('k');
        assert.equal(await login.get('k'), null);
      });

      it('clearExpired deletes the counters whose window ended, and keeps running ones', async (t: TestContext) => {
        t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 1) });
        const short = storage.limiterStore.counter({ name: 'SHORT', points: 5, durationMs: MINUTE });
        const long = storage.limiterStore.counter({ name: 'LONG', points: 5, durationMs: DAY });
        await short.consume('a');
        await short.consume('b');
        await long.consume('a');
        t.mock.timers.tick(MINUTE + SECOND);
        assert.equal(await storage.limiterStore.clearExpired(), 2);
        assert.equal(await storage.limiterStore.clearExpired(), 0);
        assert.equal((await long.get('a'))!.consumedPoints, 1);
        assert.equal((await short.consume('a')).consumedPoints, 1, 'a new window starts from zero');
      });
    });
  });
}
