import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { NewOneTimeToken, OneTimePurpose } from '../../src/storage/one-time-tokens';
import type { Storage } from '../../src/storage/storage';
import type { User } from '../../src/storage/users';
import { DAY, HOUR } from '../support/clock';
import { insertSessionWithToken, insertUser } from '../support/storage';

const NOW = new Date(Date.UTC(2026, 0, 1));
const at = (ms: number) => new Date(NOW.getTime() + ms);

let counter = 0;
function token(user: Pick<User, 'id' | 'email'>, purpose: OneTimePurpose = 'VERIFY_EMAIL', overrides: Partial<NewOneTimeToken> = {}): NewOneTimeToken {
  const id = `ott-${++counter}`;
  return { id, userId: user.id, purpose, email: user.email, linkHash: `link-${id}`, codeHash: `code-${id}`, createdAt: NOW, expiresAt: at(HOUR), ...overrides };
}

/** The one-time token repository's contract, on the harness of repository-contract.ts: every adapter, a fresh database per test. */
export function describeOneTimeTokenContract(name: string, open: () => Promise<Storage>): void {
  describe(`one-time token repository contract: ${name}`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open();
    });
    afterEach(() => storage.close());

    it('issue stores only what it is given, voids the older live token of the same purpose and keeps the others; lookups by link and by code', async () => {
      const user = await insertUser(storage, NOW);
      const first = token(user, 'RESET_PASSWORD');
      const magic = token(user, 'MAGIC_LINK');
      await storage.oneTimeTokens.issue(first, { type: 'PASSWORD_RESET_REQUESTED', userId: user.id });
      await storage.oneTimeTokens.issue(magic, { type: 'MAGIC_LINK_REQUESTED', userId: user.id });
      const second = token(user, 'RESET_PASSWORD', { createdAt: at(1000) });
      await storage.oneTimeTokens.issue(second, { type: 'PASSWORD_RESET_REQUESTED', userId: user.id });
      assert.deepEqual(await storage.oneTimeTokens.findByLinkHash(first.linkHash), { ...first, usedAt: null, invalidatedAt: at(1000) });
      assert.deepEqual(await storage.oneTimeTokens.findByLinkHash(magic.linkHash), { ...magic, usedAt: null, invalidatedAt: null });
      assert.deepEqual(await storage.oneTimeTokens.findByCode('RESET_PASSWORD', user.email, second.codeHash), { ...second, usedAt: null, invalidatedAt: null });
      assert.equal(await storage.oneTimeTokens.findByCode('MAGIC_LINK', user.email, second.codeHash), undefined);
      assert.equal(await storage.oneTimeTokens.findByCode('RESET_PASSWORD', 'other@example.com', second.codeHash), undefined);
      assert.equal((await storage.oneTimeTokens.consume(first.id, at(2000), { kind: 'VERIFY_EMAIL' }, { type: 'EMAIL_VERIFIED' })).kind, 'USED');
    });

    it('consume answers UNKNOWN, EXPIRED and USED, and acts once', async () => {
      const user = await insertUser(storage, NOW);
      const t = token(user);
      await storage.oneTimeTokens.issue(t, { type: 'EMAIL_VERIFICATION_REQUESTED' });
      assert.equal((await storage.oneTimeTokens.consume('nope', NOW, { kind: 'VERIFY_EMAIL' }, { type: 'EMAIL_VERIFIED' })).kind, 'UNKNOWN');
      assert.equal((await storage.oneTimeTokens.consume(t.id, at(HOUR), { kind: 'VERIFY_EMAIL' }, { type: 'EMAIL_VERIFIED' })).kind, 'EXPIRED');
      const done = await storage.oneTimeTokens.consume(t.id, at(1000), { kind: 'VERIFY_EMAIL' }, { type: 'EMAIL_VERIFIED', userId: user.id });
      assert.equal(done.kind, 'DONE');
      assert.deepEqual((await storage.users.findById(user.id))!.emailVerifiedAt, at(1000));
      assert.equal((await storage.oneTimeTokens.consume(t.id, at(2000), { kind: 'VERIFY_EMAIL' }, { type: 'EMAIL_VERIFIED' })).kind, 'USED');
      assert.deepEqual((await storage.audit.page({ first: 10, userId: user.id, type: 'EMAIL_VERIFIED' })).rows.length, 1);
    });

    it('concurrent consumes of one token: exactly one DONE', async () => {
      const user = await insertUser(storage, NOW);
      const t = token(user);
      await storage.oneTimeTokens.issue(t, { type: 'EMAIL_VERIFICATION_REQUESTED' });
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => storage.oneTimeTokens.consume(t.id, at(1000), { kind: 'VERIFY_EMAIL' }, { type: 'EMAIL_VERIFIED' })));
      assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['DONE', ...Array(7).fill('USED')].sort());
    });

    it('a reset sets the hash, ends every session and voids every other outstanding token, in one go', async () => {
      const user = await insertUser(storage, NOW);
      const { sessionId } = await insertSessionWithToken(storage, user.id, NOW, at(DAY));
      const reset = token(user, 'RESET_PASSWORD');
      const magic = token(user, 'MAGIC_LINK');
      await storage.oneTimeTokens.issue(reset, { type: 'PASSWORD_RESET_REQUESTED' });
      await storage.oneTimeTokens.issue(magic, { type: 'MAGIC_LINK_REQUESTED' });
      const done = await storage.oneTimeTokens.consume(reset.id, at(1000), { kind: 'RESET_PASSWORD', passwordHash: 'new-hash', revokeReason: 'PASSWORD_CHANGED' }, { type: 'PASSWORD_RESET', userId: user.id });
      assert.deepEqual(done.kind === 'DONE' && [done.sessionsEnded, done.user.passwordHash], [1, 'new-hash']);
      assert.notEqual((await storage.sessions.findById(sessionId))!.revokedAt, null);
      assert.equal((await storage.oneTimeTokens.consume(magic.id, at(2000), { kind: 'VERIFY_EMAIL' }, { type: 'EMAIL_VERIFIED' })).kind, 'USED');
    });

    it('a token is bound to its address: after the address changes it is UNKNOWN; a disabled account consumes nothing', async () => {
      const user = await insertUser(storage, NOW);
      const change = token(user, 'CHANGE_EMAIL', { email: 'new@example.com' });
      const verify = token(user, 'VERIFY_EMAIL');
      await storage.oneTimeTokens.issue(verify, { type: 'EMAIL_VERIFICATION_REQUESTED' });
      await storage.oneTimeTokens.issue(change, { type: 'EMAIL_CHANGE_REQUESTED' });
      assert.equal((await storage.oneTimeTokens.consume(change.id, at(1000), { kind: 'CHANGE_EMAIL' }, { type: 'EMAIL_CHANGED' })).kind, 'DONE');
      assert.equal((await storage.users.findById(user.id))!.email, 'new@example.com');
      assert.equal((await storage.oneTimeTokens.consume(verify.id, at(2000), { kind: 'VERIFY_EMAIL' }, { type: 'EMAIL_VERIFIED' })).kind, 'USED');

      const other = await insertUser(storage, NOW);
      const pending = token(other, 'VERIFY_EMAIL');
      await storage.oneTimeTokens.issue(pending, { type: 'EMAIL_VERIFICATION_REQUESTED' });
      await storage.users.setDisabled(other.id, { disabled: true, at: NOW, revokeReason: 'USER_DISABLED', audit: { type: 'USER_DISABLED' } });
      assert.equal((await storage.oneTimeTokens.consume(pending.id, at(1000), { kind: 'VERIFY_EMAIL' }, { type: 'EMAIL_VERIFIED' })).kind, 'ACCOUNT_DISABLED');
    });

    it('CHANGE_EMAIL to an address another account holds is EMAIL_TAKEN and consumes nothing', async () => {
      const user = await insertUser(storage, NOW);
      const holder = await insertUser(storage, NOW);
      const change = token(user, 'CHANGE_EMAIL', { email: holder.email });
      await storage.oneTimeTokens.issue(change, { type: 'EMAIL_CHANGE_REQUESTED' });
      assert.equal((await storage.oneTimeTokens.consume(change.id, at(1000), { kind: 'CHANGE_EMAIL' }, { type: 'EMAIL_CHANGED' })).kind, 'EMAIL_TAKEN');
      assert.equal((await storage.oneTimeTokens.findByLinkHash(change.linkHash))!.usedAt, null);
    });

    it('a password change voids every outstanding token; markEmailVerified; pruneExpired deletes expired tokens only', async () => {
      const user = await insertUser(storage, NOW);
      const t = token(user, 'MAGIC_LINK');
      await storage.oneTimeTokens.issue(t, { type: 'MAGIC_LINK_REQUESTED' });
      const { sessionId } = await insertSessionWithToken(storage, user.id, NOW, at(DAY));
      await storage.users.changePassword(user.id, { expectedPasswordHash: 'old-hash', passwordHash: 'h2', at: at(1000), keepSessionId: sessionId, revokeReason: 'PASSWORD_CHANGED', audit: { type: 'PASSWORD_CHANGED' } });
      assert.deepEqual((await storage.oneTimeTokens.findByLinkHash(t.linkHash))!.invalidatedAt, at(1000));

      assert.equal(await storage.oneTimeTokens.markEmailVerified(user.id, at(5000), { type: 'EMAIL_VERIFIED', userId: user.id }), true);
      assert.deepEqual((await storage.users.findById(user.id))!.emailVerifiedAt, at(5000));
      assert.equal(await storage.oneTimeTokens.markEmailVerified('nobody', at(5000), { type: 'EMAIL_VERIFIED' }), false);

      const live = token(user, 'VERIFY_EMAIL', { expiresAt: at(2 * HOUR) });
      await storage.oneTimeTokens.issue(live, { type: 'EMAIL_VERIFICATION_REQUESTED' });
      assert.equal(await storage.oneTimeTokens.pruneExpired(at(HOUR + 1)), 1);
      assert.ok(await storage.oneTimeTokens.findByLinkHash(live.linkHash));
      assert.equal(await storage.oneTimeTokens.findByLinkHash(t.linkHash), undefined);
    });
  });
}
