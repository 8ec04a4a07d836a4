import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ChangePasswordDocument, LogoutDocument, MeDocument, MySessionsDocument, RevokeSessionDocument, SetUserDisabledDocument, SetUserRoleDocument, UsersDocument } from '../../src/client/generated/graphql';
import { openStorage, type Storage } from '../../src/storage/storage';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, login, PASSWORD, signup, uniqueEmail } from '../support/graphql';
import { createSharedTestDatabase, type SharedTestDatabase } from '../support/shared-database';
import { TEST_DIALECT } from '../support/dialect';
import { signedInAdmin } from '../support/users';

/**
 * The session check is served from memory between writes (src/storage/viewer-state-cache.ts).
 * Each test first makes a request with the token, so the check is cached, then changes what it
 * depends on, and proves the very next request sees the change.
 */
describe('every change to a session or its user reaches the next request, with the check cached', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  async function warm(accessToken: string) {
    const me = await call(t.url, MeDocument, {}, { accessToken });
    assert.equal(me.errors, undefined);
    return me.data!.me!;
  }

  it('logout: TOKEN_REVOKED on the next request', async () => {
    const user = await signup(t.url);
    await warm(user.accessToken);
    assert.equal((await call(t.url, LogoutDocument, { refreshToken: user.refreshToken })).data?.logout, true);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: user.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
  });

  it('revokeSession of another device: that device gets TOKEN_REVOKED', async () => {
    const email = uniqueEmail();
    const phone = await signup(t.url, { email });
    const laptop = await login(t.url, email);
    await warm(phone.accessToken);
    const sessions = await call(t.url, MySessionsDocument, {}, { accessToken: laptop.accessToken });
    const phoneSession = sessions.data!.me!.sessions!.find((s) => !s.current)!;
    assert.equal((await call(t.url, RevokeSessionDocument, { id: phoneSession.id }, { accessToken: laptop.accessToken })).data?.revokeSession, true);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: phone.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
  });

  it('changePassword ends the other sessions at once', async () => {
    const email = uniqueEmail();
    const other = await signup(t.url, { email });
    const current = await login(t.url, email);
    await warm(other.accessToken);
    const changed = await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: 'another long passphrase' }, { accessToken: current.accessToken });
    assert.equal(changed.errors, undefined);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: other.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
  });

  it('a demoted ADMIN is FORBIDDEN on the next request, a promoted USER is let in', async () => {
    const root = await signedInAdmin(t);
    const other = await signedInAdmin(t);
    assert.equal((await call(t.url, UsersDocument, { first: 1 }, { accessToken: other.accessToken })).errors, undefined);
    await call(t.url, SetUserRoleDocument, { userId: other.user.id, role: 'USER' }, { accessToken: root.accessToken });
    assertErrorCode(await call(t.url, UsersDocument, { first: 1 }, { accessToken: other.accessToken }), 'FORBIDDEN');
    await call(t.url, SetUserRoleDocument, { userId: other.user.id, role: 'ADMIN' }, { accessToken: root.accessToken });
    assert.equal((await call(t.url, UsersDocument, { first: 1 }, { accessToken: other.accessToken })).errors, undefined);
  });

  it('a disabled user gets TOKEN_REVOKED on the next request', async () => {
    const admin = await signedInAdmin(t);
    const user = await signup(t.url);
    await warm(user.accessToken);
    await call(t.url, SetUserDisabledDocument, { userId: user.user.id, disabled: true }, { accessToken: admin.accessToken });
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: user.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
  });
});

/**
 * Another process commits a change; `seen(check)` says when a request of this app must show it.
 * On SQLite the very next request does: the session check compares PRAGMA data_version, which
 * a commit of another connection moves, before it trusts its cache. On PostgreSQL the other
 * instance's commit reaches this app as a NOTIFY on its LISTEN connection, delivered
 * asynchronously after the commit: a request sent in between is still answered from the cache.
 * That is a real difference between the adapters (a narrow window, usually milliseconds), not
 * fixed here: the PostgreSQL describe asserts the bound the adapter promises (within 1 s, as
 * test/storage/postgres/viewer-state-notify.test.ts does at the storage level), the SQLite one
 * the next request.
 */
function describeChangeByAnotherProcess(title: string, seen: (check: () => Promise<void>) => Promise<void>): void {
  describe(title, () => {
    let database: SharedTestDatabase;
    let t: TestApp;
    /** A second Storage on the same database: its own connection, its own cache and version, as in another process. */
    let other: Storage;
    beforeEach(async () => {
      database = await createSharedTestDatabase();
      t = await startTestApp({ DATABASE_URL: database.url });
      other = await openStorage(t.config);
    });
    afterEach(async () => {
      await other.close();
      await t.close();
      await database.remove();
    });

    it('a session ended in storage by another process is refused', async () => {
      const user = await signup(t.url);
      const me = await call(t.url, MeDocument, {}, { accessToken: user.accessToken });
      assert.equal(me.errors, undefined);
      assert.equal(await other.sessions.revokeAllForUser(me.data!.me!.id, 'REVOKED', new Date(), {}), 1);
      await seen(async () => assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: user.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' }));
    });

    it('a role set in storage by another process applies to its requests', async () => {
      const user = await signup(t.url);
      assertErrorCode(await call(t.url, UsersDocument, { first: 1 }, { accessToken: user.accessToken }), 'FORBIDDEN');
      const changed = await other.users.setRole(user.user.id, { role: 'ADMIN', at: new Date(), audit: { type: 'ROLE_CHANGED', userId: user.user.id } });
      assert.equal(changed.kind, 'CHANGED');
      await seen(async () => assert.equal((await call(t.url, UsersDocument, { first: 1 }, { accessToken: user.accessToken })).errors, undefined));
    });
  });
}

if (TEST_DIALECT === 'sqlite') {
  describeChangeByAnotherProcess('[sqlite] a change committed by another process (the operator CLI, another instance) reaches the next request', (check) => check());
} else {
  describeChangeByAnotherProcess('[postgres] a change committed by another instance reaches its requests within 1 s (its NOTIFY is asynchronous: not always the next request)', async (check) => {
    const deadline = Date.now() + 1_000;
    for (;;) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  });
}
