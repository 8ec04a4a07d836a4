import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { methodNames } from '../../src/storage/invalidation';
import { API_TOKEN_READS, API_TOKEN_WRITES_KEEPING_VIEWER_STATES } from '../../src/storage/api-tokens';
import { SESSION_READS, SESSION_WRITES_KEEPING_VIEWER_STATES } from '../../src/storage/sessions';
import type { Storage, StorageOptions } from '../../src/storage/storage';
import { USER_READS, USER_WRITES_KEEPING_VIEWER_STATES, type User } from '../../src/storage/users';
import { ONE_TIME_TOKEN_READS, ONE_TIME_TOKEN_WRITES_KEEPING_VIEWER_STATES, type NewOneTimeToken } from '../../src/storage/one-time-tokens';
import { DAY, HOUR } from '../support/clock';
import { TEST_DIALECT } from '../support/dialect';
import { insertSession, insertSessionWithToken, insertUser, openTestStorage } from '../support/storage';

const NOW = new Date(Date.UTC(2026, 0, 1));
const LATER = new Date(NOW.getTime() + 14 * DAY);

/** A cached session (`watched`) and a bystander every write below acts on, so only invalidation can explain a new read. */
interface Fixture {
  watched: User;
  watchedSessionId: string;
  watchedTokenId: string;
  watchedTokenHash: string;
  other: User;
  otherSessionId: string;
  otherTokenId: string;
  watchedApiTokenId: string;
  otherApiTokenId: string;
}

/** An API token row for `userId` (the hash is made up: these tests never present the token). */
export function apiTokenRow(id: string, userId: string, at: Date) {
  return { id, userId, name: id, scopes: ['read:profile' as const], tokenHash: `hash-${id}`, prefix: 'kcp_abcd', createdAt: at, expiresAt: null };
}

type WriteCase = (storage: Storage, f: Fixture) => Promise<void>;

function oneTimeToken(user: User, id: string): NewOneTimeToken {
  return { id, userId: user.id, purpose: 'VERIFY_EMAIL', email: user.email, linkHash: `link-${id}`, codeHash: `code-${id}`, createdAt: NOW, expiresAt: LATER };
}

/**
 * One call with valid arguments for every method of the users and sessions repositories that is
 * not a declared read. A method added to either repository fails the enumeration below until
 * it gets a case here (or is declared a read).
 */
const WRITES: Record<Repository, Record<string, WriteCase>> = {
  users: {
    async setRole(storage, f) {
      assert.equal((await storage.users.setRole(f.other.id, { role: 'ADMIN', at: NOW, audit: { type: 'ROLE_CHANGED' } })).kind, 'CHANGED');
    },
    async changePassword(storage, f) {
      const change = { expectedPasswordHash: 'old-hash', passwordHash: 'new-hash', at: NOW, keepSessionId: f.otherSessionId, revokeReason: 'PASSWORD_CHANGED', audit: { type: 'PASSWORD_CHANGED' as const } };
      assert.deepEqual(await storage.users.changePassword(f.other.id, change), { sessionsEnded: 0 });
    },
    async setDisabled(storage, f) {
      assert.equal((await storage.users.setDisabled(f.other.id, { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED' } })).kind, 'CHANGED');
    },
  },
  sessions: {
    async revoke(storage, f) {
      assert.equal(await storage.sessions.revoke(f.otherSessionId, 'LOGOUT', NOW, null), true);
    },
    async revokeAllForUser(storage, f) {
      assert.equal(await storage.sessions.revokeAllForUser(f.other.id, 'LOGOUT_ALL', NOW, {}), 1);
    },
    async pruneExpired(storage) {
      // Nothing is old enough to go: a write that changes nothing still invalidates.
      assert.deepEqual(await storage.sessions.pruneExpired(new Date(NOW.getTime() - DAY)), { sessions: 0, refreshTokens: 0 });
    },
  },
  apiTokens: {
    async revoke(storage, f) {
      assert.equal(await storage.apiTokens.revoke(f.otherApiTokenId, NOW, { type: 'API_TOKEN_REVOKED', userId: f.other.id }), true);
    },
  },
  oneTimeTokens: {
    async consume(storage, f) {
      await storage.oneTimeTokens.issue(oneTimeToken(f.other, 'ott-consume'), { type: 'EMAIL_VERIFICATION_REQUESTED' });
      assert.equal((await storage.oneTimeTokens.consume('ott-consume', NOW, { kind: 'VERIFY_EMAIL' }, { type: 'EMAIL_VERIFIED' })).kind, 'DONE');
    },
    async markEmailVerified(storage, f) {
      assert.equal(await storage.oneTimeTokens.markEmailVerified(f.other.id, NOW, { type: 'EMAIL_VERIFIED' }), true);
    },
  },
};

/**
 * The writes declared unable to change a cached viewer state, each done to the WATCHED user or
 * session itself (the hardest case): afterwards the cache must still be served, and agree with
 * storage (see the test using KEEPING below).
 */
const KEEPING: Record<Repository, Record<string, WriteCase>> = {
  users: {
    async create(storage) {
      const user = await storage.users.create({ id: 'new', email: 'new@example.com', passwordHash: 'h', displayName: 'n', role: 'USER', createdAt: NOW }, { type: 'SIGNUP', userId: 'new' });
      assert.equal(user.id, 'new');
    },
    async upgradePasswordHash(storage, f) {
      assert.equal(await storage.users.upgradePasswordHash(f.watched.id, 'old-hash', 'rehashed'), true);
    },
  },
  sessions: {
    async create(storage, f) {
      await storage.sessions.create(
        { id: 'new-session', userId: f.watched.id, createdAt: NOW, lastUsedAt: NOW, expiresAt: LATER, maxExpiresAt: LATER },
        { id: 'new-token', tokenHash: 'new-hash', createdAt: NOW, expiresAt: LATER },
        { type: 'LOGIN_SUCCEEDED', userId: f.watched.id, sessionId: 'new-session' },
      );
      assert.ok(await storage.sessions.findById('new-session'));
    },
    async rotate(storage, f) {
      const rotated = await storage.sessions.rotate({
        tokenId: f.watchedTokenId,
        at: new Date(NOW.getTime() + HOUR),
        nonce: 'nonce',
        successor: { id: 'successor', tokenHash: 'successor-hash', createdAt: NOW, expiresAt: new Date(LATER.getTime() + DAY) },
        sessionId: f.watchedSessionId,
        sessionExpiresAt: new Date(LATER.getTime() + DAY),
        audit: { type: 'TOKEN_REFRESHED' },
      });
      assert.equal(rotated, true);
    },
    async findAndRotate(storage, f) {
      const at = new Date(NOW.getTime() + HOUR);
      const { state, rotated } = await storage.sessions.findAndRotate!(f.watchedTokenHash, {
        at,
        nonce: 'nonce',
        successor: { id: 'successor', tokenHash: 'successor-hash', uncappedExpiresAt: new Date(LATER.getTime() + DAY) },
        onlyIf: { userId: f.watched.id, emailVerified: false },
        audit: { type: 'TOKEN_REFRESHED' },
      });
      assert.equal(rotated, true);
      assert.equal(state?.session.id, f.watchedSessionId);
    },
  },
  apiTokens: {
    async create(storage, f) {
      await storage.apiTokens.create(apiTokenRow('new-api-token', f.watched.id, NOW), 50, NOW, { type: 'API_TOKEN_CREATED', userId: f.watched.id });
      assert.ok(await storage.apiTokens.findById('new-api-token'));
    },
    async touchLastUsed(storage, f) {
      assert.equal(await storage.apiTokens.touchLastUsed(f.watchedApiTokenId, NOW, new Date(NOW.getTime() - 60_000)), true);
    },
    async pruneExpired(storage) {
      assert.equal(await storage.apiTokens.pruneExpired(new Date(NOW.getTime() - DAY)), 0);
    },
  },
  oneTimeTokens: {
    async issue(storage, f) {
      await storage.oneTimeTokens.issue(oneTimeToken(f.watched, 'ott-issue'), { type: 'EMAIL_VERIFICATION_REQUESTED' });
      assert.ok(await storage.oneTimeTokens.findByLinkHash('link-ott-issue'));
    },
    async pruneExpired(storage) {
      assert.equal(await storage.oneTimeTokens.pruneExpired(NOW), 0);
    },
  },
};

type Repository = 'users' | 'sessions' | 'apiTokens' | 'oneTimeTokens';
const REPOSITORIES: readonly Repository[] = ['users', 'sessions', 'apiTokens', 'oneTimeTokens'];

const READS: Record<Repository, readonly string[]> = { users: USER_READS, sessions: SESSION_READS, apiTokens: API_TOKEN_READS, oneTimeTokens: ONE_TIME_TOKEN_READS };
const KEEPS: Record<Repository, readonly string[]> = {
  users: USER_WRITES_KEEPING_VIEWER_STATES,
  sessions: SESSION_WRITES_KEEPING_VIEWER_STATES,
  apiTokens: API_TOKEN_WRITES_KEEPING_VIEWER_STATES,
  oneTimeTokens: ONE_TIME_TOKEN_WRITES_KEEPING_VIEWER_STATES,
};

/**
 * Proves, for one adapter, that every write to users and sessions invalidates the session
 * check's cache: the next findViewerState of an unrelated, cached session reads the database
 * again. `open` passes the options on to the adapter (they carry the read counter).
 */
function describeInvalidation(name: string, open: (options: StorageOptions) => Promise<Storage>): void {
  /** A fresh storage with a cached viewer state; `reads()` counts the database reads of findViewerState. */
  async function warmed() {
    let reads = 0;
    const storage = await open({ onViewerStateRead: () => void reads++ });
    const watched = await insertUser(storage, NOW);
    const { sessionId: watchedSessionId, tokenId: watchedTokenId, tokenHash: watchedTokenHash } = await insertSessionWithToken(storage, watched.id, NOW, LATER);
    const other = await insertUser(storage, NOW);
    const { sessionId: otherSessionId, tokenId: otherTokenId } = await insertSessionWithToken(storage, other.id, NOW, LATER);
    await storage.apiTokens.create(apiTokenRow('watched-api-token', watched.id, NOW), 50, NOW, { type: 'API_TOKEN_CREATED', userId: watched.id });
    await storage.apiTokens.create(apiTokenRow('other-api-token', other.id, NOW), 50, NOW, { type: 'API_TOKEN_CREATED', userId: other.id });
    const check = () => storage.sessions.findViewerState(watchedSessionId, NOW.getTime());
    assert.ok(await check());
    assert.ok(await check());
    assert.equal(reads, 1, 'the second check is served from the cache');
    return { storage, check, reads: () => reads, fixture: { watched, watchedSessionId, watchedTokenId, watchedTokenHash, other, otherSessionId, otherTokenId, watchedApiTokenId: 'watched-api-token', otherApiTokenId: 'other-api-token' } };
  }

  describe(`every write to users and sessions invalidates the session check's cache: ${name}`, () => {
    for (const repository of REPOSITORIES) {
      it(`${repository}: every method that is not a declared read is a write with a case here, and each invalidates`, async () => {
        const probe = await open({});
        const methods = methodNames(probe[repository]);
        await probe.close();
        const writes = methods.filter((method) => !READS[repository].includes(method) && !KEEPS[repository].includes(method));
        assert.deepEqual(writes, Object.keys(WRITES[repository]).sort(), `${repository}: a method without a case in WRITES (or a case for a method that is gone)`);
        assert.deepEqual([...KEEPS[repository]].sort(), Object.keys(KEEPING[repository]).sort(), `${repository}: every write declared keeping has a case in KEEPING`);
        for (const method of writes) {
          const { storage, check, reads, fixture } = await warmed();
          try {
            await WRITES[repository][method]!(storage, fixture);
            assert.equal(reads(), 1, `${repository}.${method}: the write itself does not read the viewer state`);
            await check();
            assert.equal(reads(), 2, `${repository}.${method} must invalidate: the next check reads storage again`);
            await check();
            assert.equal(reads(), 2, `${repository}.${method}: afterwards the check is cached again`);
          } finally {
            await storage.close();
          }
        }
      });
    }

    for (const repository of REPOSITORIES) {
      it(`${repository}: a write declared keeping, done to the cached session itself, leaves the cache served and in agreement with storage`, async () => {
        const probe = await open({});
        const present = methodNames(probe[repository]);
        await probe.close();
        // An optional method (SESSION_OPTIONAL_METHODS) only where its adapter has it; findAndRotate on PostgreSQL.
        if (repository === 'sessions') assert.equal(present.includes('findAndRotate'), TEST_DIALECT === 'postgres');
        for (const method of Object.keys(KEEPING[repository]).filter((name) => present.includes(name))) {
          const { storage, check, reads, fixture } = await warmed();
          try {
            await KEEPING[repository][method]!(storage, fixture);
            const cached = await check();
            assert.equal(reads(), 1, `${repository}.${method} keeps the cache`);
            const session = await storage.sessions.findById(fixture.watchedSessionId);
            const user = await storage.users.findById(fixture.watched.id);
            assert.ok(cached && session && user);
            // What a request is decided by is exactly what storage says...
            assert.deepEqual(
              { revokedAt: cached.revokedAt, disabledAt: cached.disabledAt, role: cached.role, userId: cached.userId },
              { revokedAt: session.revokedAt, disabledAt: user.disabledAt, role: user.role, userId: session.userId },
              `${repository}.${method}`,
            );
            assert.deepEqual(
              { id: cached.user.id, email: cached.user.email, displayName: cached.user.displayName, role: cached.user.role },
              { id: user.id, email: user.email, displayName: user.displayName, role: user.role },
            );
            // ...and the cached idle expiry is never later than the stored one (a slide only moves it later).
            assert.ok(cached.expiresAt.getTime() <= session.expiresAt.getTime(), `${repository}.${method}: expiresAt`);
          } finally {
            await storage.close();
          }
        }
      });
    }

    it('every declared read is a method of its repository, and reading does not invalidate', async () => {
      const { storage, check, reads, fixture } = await warmed();
      try {
        for (const repository of REPOSITORIES) {
          const methods = methodNames(storage[repository]);
          for (const read of READS[repository]) assert.ok(methods.includes(read), `${repository}.${read}`);
        }
        await storage.users.findById(fixture.other.id);
        await storage.users.findByEmail(fixture.other.email);
        await storage.users.page({ first: 10 });
        await storage.users.count();
        await storage.sessions.findById(fixture.otherSessionId);
        await storage.sessions.findViewerState(fixture.otherSessionId, NOW.getTime());
        await storage.sessions.findRefreshState('unknown');
        await storage.sessions.findTokenById(fixture.otherTokenId);
        await storage.sessions.listLiveForUser(fixture.other.id, NOW);
        await storage.apiTokens.findById(fixture.otherApiTokenId);
        await storage.apiTokens.findByHash('hash-other-api-token');
        await storage.apiTokens.findViewerState('hash-other-api-token', NOW.getTime());
        await storage.apiTokens.listLiveForUser(fixture.other.id, NOW);
        const before = reads();
        await check();
        assert.equal(reads(), before, 'still cached');
      } finally {
        await storage.close();
      }
    });

    it('a write that fails invalidates too', async () => {
      const { storage, check, reads, fixture } = await warmed();
      try {
        // An audit detail JSON cannot encode makes the write throw, and roll back.
        await assert.rejects(storage.users.setRole(fixture.other.id, { role: 'ADMIN', at: NOW, audit: { type: 'ROLE_CHANGED', detail: { n: 1n } } }), TypeError);
        await check();
        assert.equal(reads(), 2);
      } finally {
        await storage.close();
      }
    });

    it('the invalidation comes once the write has settled, not before it committed', async () => {
      const { storage, check, reads, fixture } = await warmed();
      try {
        const pending = WRITES.sessions.revoke!(storage, fixture);
        // Asked for in the same turn: the revocation is not committed yet, and the cached state is still the truth.
        await check();
        assert.equal(reads(), 1);
        await pending;
        await check();
        assert.equal(reads(), 2);
      } finally {
        await storage.close();
      }
    });
  });
}

// On the adapter of the pass (npm test runs a SQLite pass and a PostgreSQL pass).
describeInvalidation(TEST_DIALECT === 'postgres' ? 'PostgreSQL' : 'SQLite', (options) => openTestStorage(options));
