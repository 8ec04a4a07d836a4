import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  CreateApiTokenDocument,
  LogoutAllDocument,
  MeDocument,
  MyApiTokensDocument,
  RevokeApiTokenDocument,
  SetUserDisabledDocument,
  SetUserRoleDocument,
  UsersDocument,
} from '../../src/client/generated/graphql';
import { looksLikeApiToken } from '../../src/tokens/api-token';
import { DEFAULT_API_TOKEN_LIMIT } from '../../src/tokens/api-token.service';
import { startTestApp, type TestApp } from '../support/app';
import { DAY, MINUTE, SECOND } from '../support/clock';
import { assertErrorCode, call, post, signup } from '../support/graphql';
import { inspectStorage } from '../support/storage-inspector';
import { decodeSegment } from '../support/tokens';
import { signedInAdmin } from '../support/users';

describe('API tokens: lifecycle, scopes, and every change on the next request', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  async function create(accessToken: string, scopes: string[], expiresIn: string | null = null, name = 'ci') {
    const result = await call(t.url, CreateApiTokenDocument, { name, scopes, expiresIn }, { accessToken });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data!.createApiToken;
  }

  it('a token is created by a session, shown once, listed by its prefix, works as a bearer, and stops on revocation', async () => {
    const user = await signup(t.url);
    const created = await create(user.accessToken, ['read:profile', 'read:sessions'], null, 'laptop script');
    assert.match(created.token, /^kcp_[0-9A-Za-z]{49}$/);
    assert.ok(looksLikeApiToken(created.token));
    assert.ok(created.token.startsWith(created.apiToken.prefix));
    assert.deepEqual(created.apiToken.scopes, ['read:profile', 'read:sessions']);
    assert.equal(created.apiToken.expiresAt, null);

    const me = await call(t.url, MeDocument, {}, { accessToken: created.token });
    assert.equal(me.errors, undefined);
    assert.equal(me.data!.me!.id, user.user.id);

    const listed = await call(t.url, MyApiTokensDocument, {}, { accessToken: created.token });
    assert.equal(listed.errors, undefined);
    assert.deepEqual(
      listed.data!.me!.apiTokens!.map((token) => ({ id: token.id, name: token.name, prefix: token.prefix })),
      [{ id: created.apiToken.id, name: 'laptop script', prefix: created.apiToken.prefix }],
    );
    assert.ok(!JSON.stringify(listed.data).includes(created.token), 'never shown again');

    // Without write:sessions the token cannot revoke itself; the session can.
    assertErrorCode(await call(t.url, RevokeApiTokenDocument, { id: created.apiToken.id }, { accessToken: created.token }), 'FORBIDDEN', { reason: 'INSUFFICIENT_SCOPE' });
    assert.equal((await call(t.url, RevokeApiTokenDocument, { id: created.apiToken.id }, { accessToken: user.accessToken })).data?.revokeApiToken, true);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: created.token }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    assert.equal((await call(t.url, RevokeApiTokenDocument, { id: created.apiToken.id }, { accessToken: user.accessToken })).data?.revokeApiToken, false);
    assert.deepEqual((await call(t.url, MyApiTokensDocument, {}, { accessToken: user.accessToken })).data!.me!.apiTokens, []);
  });

  it('the database holds no token in clear, only its SHA-256 and the short prefix', async () => {
    const user = await signup(t.url);
    const created = await create(user.accessToken, ['read:profile']);
    const rows = JSON.stringify(await inspectStorage(t.app.storage).rawRows('api_tokens'));
    assert.ok(!rows.includes(created.token));
    assert.ok(!rows.includes(created.token.slice(8)), 'not even the secret part');
    assert.ok(rows.includes(created.apiToken.prefix));
  });

  it('an API token cannot create tokens, end all sessions or change the password: SESSION_REQUIRED', async () => {
    const user = await signup(t.url);
    const { token } = await create(user.accessToken, ['read:profile', 'read:sessions', 'write:sessions', 'read:audit']);
    assertErrorCode(await call(t.url, CreateApiTokenDocument, { name: 'x', scopes: ['read:profile'], expiresIn: null }, { accessToken: token }), 'FORBIDDEN', { reason: 'SESSION_REQUIRED' });
    assertErrorCode(await call(t.url, LogoutAllDocument, {}, { accessToken: token }), 'FORBIDDEN', { reason: 'SESSION_REQUIRED' });
    const change = await post(t.url, { query: 'mutation { changePassword(currentPassword: "a", newPassword: "another long passphrase") }' }, { authorization: `Bearer ${token}` });
    assertErrorCode(change, 'FORBIDDEN', { reason: 'SESSION_REQUIRED' });
  });

  it('scopes the role does not allow, unknown scopes, no scope, a bad name or expiresIn: BAD_USER_INPUT with the field', async () => {
    const user = await signup(t.url);
    const cases: Array<[string, string[], string | null, string]> = [
      ['ci', ['read:users'], null, 'scopes'],
      ['ci', ['introspect'], null, 'scopes'],
      ['ci', ['read:everything'], null, 'scopes'],
      ['ci', [], null, 'scopes'],
      ['', ['read:profile'], null, 'name'],
      ['x'.repeat(101), ['read:profile'], null, 'name'],
      ['ci', ['read:profile'], '90 days', 'expiresIn'],
      ['ci', ['read:profile'], '0d', 'expiresIn'],
      ['ci', ['read:profile'], '99999d', 'expiresIn'],
    ];
    for (const [name, scopes, expiresIn, field] of cases) {
      assertErrorCode(await call(t.url, CreateApiTokenDocument, { name, scopes, expiresIn }, { accessToken: user.accessToken }), 'BAD_USER_INPUT', { field });
    }
    assert.deepEqual((await call(t.url, MyApiTokensDocument, {}, { accessToken: user.accessToken })).data!.me!.apiTokens, []);
  });

  it('a token does what its scopes name AND its owner’s current role allows', async () => {
    const admin = await signedInAdmin(t);
    // UsersDocument reads each user's email and role too: read:profile.
    const reader = await create(admin.accessToken, ['read:users', 'read:profile']);
    const profileOnly = await create(admin.accessToken, ['read:profile']);
    const usersOnly = await create(admin.accessToken, ['read:users']);
    assert.equal((await call(t.url, UsersDocument, { first: 1 }, { accessToken: reader.token })).errors, undefined);
    assertErrorCode(await call(t.url, UsersDocument, { first: 1 }, { accessToken: profileOnly.token }), 'FORBIDDEN', { reason: 'INSUFFICIENT_SCOPE' });
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: usersOnly.token }), 'FORBIDDEN', { reason: 'INSUFFICIENT_SCOPE' });

    // Demoted: the token still names read:users, but the role no longer allows it (nor the field).
    const other = await signedInAdmin(t);
    await call(t.url, SetUserRoleDocument, { userId: admin.user.id, role: 'USER' }, { accessToken: other.accessToken });
    assertErrorCode(await call(t.url, UsersDocument, { first: 1 }, { accessToken: reader.token }), 'FORBIDDEN', { reason: 'ADMIN_ONLY' });
    // Promoted again: the grant is back, without a new token.
    await call(t.url, SetUserRoleDocument, { userId: admin.user.id, role: 'ADMIN' }, { accessToken: other.accessToken });
    assert.equal((await call(t.url, UsersDocument, { first: 1 }, { accessToken: reader.token })).errors, undefined);
  });

  it('expiry: TOKEN_EXPIRED once expiresIn has passed, and the token leaves the list', async () => {
    const user = await signup(t.url);
    const created = await create(user.accessToken, ['read:profile'], '1h');
    assert.equal(new Date(created.apiToken.expiresAt as string).getTime() - new Date(created.apiToken.createdAt as string).getTime(), 60 * MINUTE);
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: created.token })).errors, undefined);
    t.clock.advance(60 * MINUTE);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: created.token }), 'UNAUTHENTICATED', { reason: 'TOKEN_EXPIRED' });
  });

  it('a disabled owner: the token is refused on the next request, and works again once re-enabled', async () => {
    const admin = await signedInAdmin(t);
    const user = await signup(t.url);
    const { token } = await create(user.accessToken, ['read:profile']);
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: token })).errors, undefined);
    await call(t.url, SetUserDisabledDocument, { userId: user.user.id, disabled: true }, { accessToken: admin.accessToken });
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: token }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
    await call(t.url, SetUserDisabledDocument, { userId: user.user.id, disabled: false }, { accessToken: admin.accessToken });
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: token })).errors, undefined);
  });

  it('a token with a wrong checksum, or unknown, is TOKEN_INVALID without breaking public fields', async () => {
    const user = await signup(t.url);
    const { token } = await create(user.accessToken, ['read:profile']);
    const flipped = token.slice(0, 10) + (token[10] === 'a' ? 'b' : 'a') + token.slice(11);
    assert.equal(looksLikeApiToken(flipped), false);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: flipped }), 'UNAUTHENTICATED', { reason: 'TOKEN_INVALID' });
  });

  it('lastUsedAt is written at most once a minute per token', async () => {
    const user = await signup(t.url);
    const { token, apiToken } = await create(user.accessToken, ['read:profile']);
    const lastUsed = async () => (await t.app.storage.apiTokens.findById(apiToken.id))!.lastUsedAt?.getTime() ?? null;
    assert.equal(await lastUsed(), null);
    const first = t.clock.now();
    await call(t.url, MeDocument, {}, { accessToken: token });
    assert.equal(await lastUsed(), first);
    t.clock.advance(30 * SECOND);
    for (let i = 0; i < 5; i++) await call(t.url, MeDocument, {}, { accessToken: token });
    assert.equal(await lastUsed(), first, 'no write within the minute');
    t.clock.advance(31 * SECOND);
    await call(t.url, MeDocument, {}, { accessToken: token });
    assert.equal(await lastUsed(), t.clock.now());
  });

  it(`a user holds at most ${DEFAULT_API_TOKEN_LIMIT} live tokens: FORBIDDEN API_TOKEN_LIMIT, room again after a revocation`, async () => {
    const user = await signup(t.url);
    const owner = { id: user.user.id, role: 'USER' as const };
    const made = [];
    for (let i = 0; i < DEFAULT_API_TOKEN_LIMIT; i++) made.push(await t.app.services.apiTokens.create(owner, { name: `t${i}`, scopes: ['read:profile'] }, { ip: null, userAgent: null }, owner.id));
    assertErrorCode(await call(t.url, CreateApiTokenDocument, { name: 'one more', scopes: ['read:profile'], expiresIn: null }, { accessToken: user.accessToken }), 'FORBIDDEN', { reason: 'API_TOKEN_LIMIT' });
    await call(t.url, RevokeApiTokenDocument, { id: made[0]!.apiToken.id }, { accessToken: user.accessToken });
    await create(user.accessToken, ['read:profile']);
  });

  it("revokeApiToken: a USER cannot revoke another user's token (nor learn it exists); an ADMIN can", async () => {
    const admin = await signedInAdmin(t);
    const alice = await signup(t.url);
    const bob = await signup(t.url);
    const { token, apiToken } = await create(alice.accessToken, ['read:profile']);
    assertErrorCode(await call(t.url, RevokeApiTokenDocument, { id: apiToken.id }, { accessToken: bob.accessToken }), 'FORBIDDEN', { reason: 'NOT_OWNER' });
    assertErrorCode(await call(t.url, RevokeApiTokenDocument, { id: 'no-such-token' }, { accessToken: bob.accessToken }), 'FORBIDDEN', { reason: 'NOT_OWNER' });
    assert.equal((await call(t.url, MeDocument, {}, { accessToken: token })).errors, undefined);
    assert.equal((await call(t.url, RevokeApiTokenDocument, { id: apiToken.id }, { accessToken: admin.accessToken })).data?.revokeApiToken, true);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: token }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
  });

  it('access tokens carry a scope claim: every scope the role allows', async () => {
    const user = await signup(t.url);
    assert.equal(decodeSegment(user.accessToken, 1).scope, 'read:profile read:sessions write:sessions read:audit');
    const admin = await signedInAdmin(t);
    assert.equal(decodeSegment(admin.accessToken, 1).scope, 'read:profile read:sessions write:sessions read:users write:users read:audit introspect');
  });

  it('creating and revoking are audited, without the token', async () => {
    const user = await signup(t.url);
    const { token, apiToken } = await create(user.accessToken, ['read:profile']);
    await call(t.url, RevokeApiTokenDocument, { id: apiToken.id }, { accessToken: user.accessToken });
    const events = (await t.app.storage.audit.page({ first: 20, userId: user.user.id })).rows;
    assert.deepEqual(events.filter((e) => e.type.startsWith('API_TOKEN')).map((e) => e.type).sort(), ['API_TOKEN_CREATED', 'API_TOKEN_REVOKED']);
    assert.ok(!JSON.stringify(events).includes(token));
  });

  it('an expired token is still refused a day later (no caching past expiry)', async () => {
    const user = await signup(t.url);
    const { token } = await create(user.accessToken, ['read:profile'], '30s');
    await call(t.url, MeDocument, {}, { accessToken: token });
    t.clock.advance(DAY);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: token }), 'UNAUTHENTICATED', { reason: 'TOKEN_EXPIRED' });
  });

  it('pruning deletes revoked and expired tokens and keeps live ones', async () => {
    const user = await signup(t.url);
    const live = await create(user.accessToken, ['read:profile'], null, 'live');
    const revoked = await create(user.accessToken, ['read:profile'], null, 'revoked');
    const expiring = await create(user.accessToken, ['read:profile'], '1m', 'expiring');
    await call(t.url, RevokeApiTokenDocument, { id: revoked.apiToken.id }, { accessToken: user.accessToken });
    t.clock.advance(2 * MINUTE);
    await t.app.prune();
    assert.ok(await t.app.storage.apiTokens.findById(live.apiToken.id));
    assert.equal(await t.app.storage.apiTokens.findById(revoked.apiToken.id), undefined);
    assert.equal(await t.app.storage.apiTokens.findById(expiring.apiToken.id), undefined);
  });
});
