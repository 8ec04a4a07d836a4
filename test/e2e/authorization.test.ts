import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LoginDocument, MeDocument, SetUserRoleDocument, UserByIdDocument, UsersDocument, type UsersQuery, type UsersQueryVariables } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { MINUTE } from '../support/clock';
import { assertErrorCode, call, login, PASSWORD, post, signup, uniqueEmail } from '../support/graphql';
import { signedInAdmin } from '../support/users';

describe('authentication in the request context', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('me is null without a token', async () => {
    const result = await call(t.url, MeDocument, {});
    assert.equal(result.errors, undefined);
    assert.equal(result.data!.me, null);
  });

  it('me with a garbage token is UNAUTHENTICATED with reason TOKEN_INVALID', async () => {
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: 'garbage' }), 'UNAUTHENTICATED', { reason: 'TOKEN_INVALID' });
  });

  it('a header that is not a Bearer credential is TOKEN_INVALID', async () => {
    const result = await post(t.url, { query: '{ me { id } }' }, { authorization: 'Basic dXNlcjpwYXNz' });
    assertErrorCode(result, 'UNAUTHENTICATED', { reason: 'TOKEN_INVALID' });
  });

  it('the Bearer scheme is case-insensitive', async () => {
    const { accessToken } = await signup(t.url);
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const result = await post(t.url, { query: '{ me { id } }' }, { authorization: `${scheme} ${accessToken}` });
      assert.equal(result.errors, undefined, scheme);
      assert.ok((result.data!.me as { id: string }).id);
    }
  });

  it('an expired token gives TOKEN_EXPIRED so the client knows to refresh', async () => {
    const { accessToken } = await signup(t.url);
    t.clock.advance(16 * MINUTE);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_EXPIRED' });
  });

  it('a stale or bad bearer header never breaks login, signup or refresh', async () => {
    const email = uniqueEmail();
    const { refreshToken } = await signup(t.url, { email });
    const headers = { authorization: 'Bearer not.a.token' };
    const loginResult = await call(t.url, LoginDocument, { input: { email, password: PASSWORD } }, { headers });
    assert.equal(loginResult.errors, undefined);
    const refreshResult = await post(t.url, { query: 'mutation($r: String) { refresh(refreshToken: $r) { accessToken } }', variables: { r: refreshToken } }, headers);
    assert.equal(refreshResult.errors, undefined);
  });
});

describe('field rules', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('user(id) needs a signed-in user', async () => {
    const other = await signup(t.url);
    assertErrorCode(await call(t.url, UserByIdDocument, { id: other.user.id }), 'UNAUTHENTICATED', { reason: 'TOKEN_MISSING' });
  });

  it("another user's private fields are null with FORBIDDEN at their path; public fields stay", async () => {
    const me = await signup(t.url);
    const other = await signup(t.url, { displayName: 'Grace' });
    const result = await call(t.url, UserByIdDocument, { id: other.user.id }, { accessToken: me.accessToken });
    assert.equal(result.data!.user!.displayName, 'Grace');
    assert.equal(result.data!.user!.email, null);
    assert.equal(result.data!.user!.role, null);
    const paths = result.errors!.map((e) => e.path!.join('.')).sort();
    assert.deepEqual(paths, ['user.email', 'user.role']);
    for (const error of result.errors!) assert.equal(error.extensions?.code, 'FORBIDDEN');
  });

  it('a user reads their own private fields; an ADMIN reads anyone\'s', async () => {
    const user = await signup(t.url);
    const own = await call(t.url, UserByIdDocument, { id: user.user.id }, { accessToken: user.accessToken });
    assert.equal(own.data!.user!.email, user.user.email);
    const admin = await signedInAdmin(t);
    const asAdmin = await call(t.url, UserByIdDocument, { id: user.user.id }, { accessToken: admin.accessToken });
    assert.equal(asAdmin.errors, undefined);
    assert.equal(asAdmin.data!.user!.email, user.user.email);
  });

  it('#31 a USER is refused an ADMIN field directly, aliased, in a fragment and nested', async () => {
    const { accessToken } = await signup(t.url);
    const queries = [
      '{ users { totalCount } }',
      '{ a: users { totalCount } b: users(first: 1) { totalCount } }',
      'query { ...F } fragment F on Query { users { totalCount } }',
      'query { ... on Query { users { edges { node { email } } } } }',
      'mutation { setUserRole(userId: "x", role: ADMIN) { id } }',
    ];
    for (const query of queries) {
      const result = await post(t.url, { query }, { authorization: `Bearer ${accessToken}` });
      assert.ok(result.errors?.length, query);
      for (const error of result.errors!) assert.equal(error.extensions?.code, 'FORBIDDEN', query);
      assert.ok(!result.text.includes('totalCount":'), `no data leaks for ${query}`);
    }
  });

  it('users pages through every account with a Relay connection (ADMIN)', async () => {
    const admin = await signedInAdmin(t);
    for (let i = 0; i < 3; i++) await signup(t.url);
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const page: Awaited<ReturnType<typeof call<UsersQuery, UsersQueryVariables>>> = await call(t.url, UsersDocument, { first: 2, after }, { accessToken: admin.accessToken });
      assert.equal(page.errors, undefined);
      const { edges, pageInfo, totalCount } = page.data!.users;
      total = totalCount;
      seen.push(...edges.map((e) => e.node.id));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total);
  });

  it('users refuses first over 100, a negative first and a forged cursor with BAD_USER_INPUT', async () => {
    const admin = await signedInAdmin(t);
    for (const [variables, field] of [[{ first: 101 }, 'first'], [{ first: -1 }, 'first'], [{ first: 5, after: 'bm9wZQ' }, 'after']] as const) {
      assertErrorCode(await call(t.url, UsersDocument, variables, { accessToken: admin.accessToken }), 'BAD_USER_INPUT', { field });
    }
  });
});

describe('role changes', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('#8 a demoted ADMIN\'s old token no longer grants ADMIN on the next request', async () => {
    const first = await signedInAdmin(t);
    const second = await signedInAdmin(t);
    assert.equal((await call(t.url, UsersDocument, {}, { accessToken: second.accessToken })).errors, undefined);
    const demoted = await call(t.url, SetUserRoleDocument, { userId: second.user.id, role: 'USER' }, { accessToken: first.accessToken });
    assert.equal(demoted.data!.setUserRole.role, 'USER');
    assertErrorCode(await call(t.url, UsersDocument, {}, { accessToken: second.accessToken }), 'FORBIDDEN');
  });

  it('a promotion takes effect on the next request too', async () => {
    const admin = await signedInAdmin(t);
    const user = await signup(t.url);
    assertErrorCode(await call(t.url, UsersDocument, {}, { accessToken: user.accessToken }), 'FORBIDDEN');
    await call(t.url, SetUserRoleDocument, { userId: user.user.id, role: 'ADMIN' }, { accessToken: admin.accessToken });
    assert.equal((await call(t.url, UsersDocument, {}, { accessToken: user.accessToken })).errors, undefined);
  });

  it('the last active ADMIN cannot be demoted', async () => {
    const lone = await startTestApp();
    try {
      const admin = await signedInAdmin(lone);
      const result = await call(lone.url, SetUserRoleDocument, { userId: admin.user.id, role: 'USER' }, { accessToken: admin.accessToken });
      assertErrorCode(result, 'BAD_USER_INPUT', { field: 'role' });
    } finally {
      await lone.close();
    }
  });

  it('setUserRole on an unknown user is NOT_FOUND', async () => {
    const admin = await signedInAdmin(t);
    assertErrorCode(await call(t.url, SetUserRoleDocument, { userId: 'no-such-user', role: 'ADMIN' }, { accessToken: admin.accessToken }), 'NOT_FOUND');
  });

  it('a role change is written to the audit log with who did it', async () => {
    const admin = await signedInAdmin(t);
    const user = await signup(t.url);
    await call(t.url, SetUserRoleDocument, { userId: user.user.id, role: 'ADMIN' }, { accessToken: admin.accessToken });
    const { rows } = await t.app.audit.page({ first: 10, userId: user.user.id, type: 'ROLE_CHANGED' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.actorId, admin.user.id);
    assert.deepEqual(rows[0]!.detail, { from: 'USER', to: 'ADMIN' });
  });

  it('login after a role change carries the new role claim', async () => {
    const admin = await signedInAdmin(t);
    const email = uniqueEmail();
    const user = await signup(t.url, { email });
    await call(t.url, SetUserRoleDocument, { userId: user.user.id, role: 'ADMIN' }, { accessToken: admin.accessToken });
    const again = await login(t.url, email);
    const claims = JSON.parse(Buffer.from(again.accessToken.split('.')[1]!, 'base64url').toString()) as { role: string };
    assert.equal(claims.role, 'ADMIN');
  });
});
