import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ViewerState } from '../../src/storage/sessions';
import { createViewerStateCache, createViewerStateChanges } from '../../src/storage/viewer-state-cache';

const NOW = Date.UTC(2026, 0, 1);

function state(overrides: Partial<ViewerState> = {}): ViewerState {
  const user = { id: 'u1', email: 'a@example.com', displayName: 'A', role: 'USER' as const, disabledAt: null, emailVerifiedAt: null, createdAt: new Date(NOW) };
  return { sessionId: 's1', userId: 'u1', role: 'USER', revokedAt: null, expiresAt: new Date(NOW + 60_000), disabledAt: null, user, ...overrides };
}

/** A cache over a fake database: `stored` is what a read returns, `reads` counts the reads. */
function setup(maxEntries = 10) {
  const changes = createViewerStateChanges();
  let databaseVersion: number | null = 1;
  let stored: ViewerState | undefined = state();
  let reads = 0;
  const cache = createViewerStateCache({ changes, databaseVersion: () => databaseVersion, maxEntries });
  const load = async () => {
    reads++;
    return stored;
  };
  return {
    changes,
    cache,
    read: (sessionId = 's1', now = NOW) => cache.read(sessionId, now, load),
    store: (next: ViewerState | undefined) => (stored = next),
    commitFromAnotherConnection: () => (databaseVersion = databaseVersion! + 1),
    loseChangeSignal: () => (databaseVersion = null),
    regainChangeSignal: (version: number) => (databaseVersion = version),
    reads: () => reads,
  };
}

describe('viewer-state cache: the session check without a read while nothing changed', () => {
  it('answers from memory while no write happened', async () => {
    const t = setup();
    assert.equal((await t.read())?.sessionId, 's1');
    assert.equal((await t.read())?.sessionId, 's1');
    assert.equal(t.reads(), 1);
  });

  it('reads again after a write of this process (a logout, revocation, role change, disable)', async () => {
    const t = setup();
    await t.read();
    t.store(state({ revokedAt: new Date(NOW) }));
    t.changes.bump();
    assert.notEqual((await t.read())?.revokedAt, null);
    assert.equal(t.reads(), 2);
  });

  it('reads again after another connection committed (the operator CLI)', async () => {
    const t = setup();
    await t.read();
    t.store(state({ role: 'ADMIN' }));
    t.commitFromAnotherConnection();
    assert.equal((await t.read())?.role, 'ADMIN');
    assert.equal(t.reads(), 2);
  });

  it('fails closed while the adapter cannot tell whether another process committed: every check reads storage', async () => {
    const t = setup();
    await t.read();
    t.loseChangeSignal();
    t.store(state({ revokedAt: new Date(NOW) }));
    assert.notEqual((await t.read())?.revokedAt, null);
    t.store(state());
    await t.read();
    await t.read();
    assert.equal(t.reads(), 4, 'nothing served from, or kept in, memory without a version');
    assert.equal(t.cache.size, 0);
    t.regainChangeSignal(7);
    await t.read();
    await t.read();
    assert.equal(t.reads(), 5, 'cached again once a version is known');
  });

  it('does not keep a read that a write followed while it was awaited', async () => {
    const changes = createViewerStateChanges();
    const cache = createViewerStateCache({ changes, databaseVersion: () => 1, maxEntries: 10 });
    let reads = 0;
    // The write lands between the read and the moment it would be kept: the stale read must not be.
    await cache.read('s1', NOW, async () => {
      reads++;
      const stale = state();
      changes.bump();
      return stale;
    });
    await cache.read('s1', NOW, async () => {
      reads++;
      return state({ revokedAt: new Date(NOW) });
    });
    assert.equal(reads, 2);
  });

  it('keeps no revoked, disabled or expired state, and reads an entry again once its idle expiry has passed', async () => {
    for (const dead of [state({ revokedAt: new Date(NOW) }), state({ disabledAt: new Date(NOW) }), state({ expiresAt: new Date(NOW) })]) {
      const t = setup();
      t.store(dead);
      await t.read();
      await t.read();
      assert.equal(t.reads(), 2);
    }
    const t = setup();
    await t.read();
    // A refresh may have slid the expiry in storage since: past the cached one, ask storage.
    t.store(state({ expiresAt: new Date(NOW + 120_000) }));
    assert.equal((await t.read('s1', NOW + 60_000))?.expiresAt.getTime(), NOW + 120_000);
    assert.equal(t.reads(), 2);
  });

  it('is bounded: the oldest session goes first', async () => {
    const t = setup(2);
    await t.read('a');
    await t.read('b');
    await t.read('c');
    assert.equal(t.cache.size, 2);
    await t.read('a');
    assert.equal(t.reads(), 4);
  });
});
