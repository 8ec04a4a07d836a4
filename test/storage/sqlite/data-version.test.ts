import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStorage, sqliteHandleOf } from '../../../src/storage/sqlite/storage';
import type { Storage } from '../../../src/storage/storage';
import { DAY } from '../../support/clock';
import { insertSession, insertUser } from '../../support/storage';
import { onlyOn } from '../../support/dialect';

const NOW = new Date(Date.UTC(2026, 0, 1));

/**
 * The session check's cache on SQLite also watches `PRAGMA data_version`, which moves when
 * another connection commits: the operator CLI, another process on the same file, or anything
 * else that writes SQL there. It is read once per turn of the event loop
 * (src/storage/sqlite/data-version.ts): a check in a later turn than the commit sees it.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
// SQLite by nature (a database file, its pragmas, its connection): registered on the SQLite
// pass only (test/support/dialect.ts); the PostgreSQL pass runs the same behaviour through
// the PostgreSQL adapter in the rest of the suite.
onlyOn('sqlite')('SQLite: commits of other connections invalidate the session check (PRAGMA data_version)', () => {
  let dir: string;
  let file: string;
  let storage: Storage;
  let reads: number;
  let sessionId: string;
  let userId: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-data-version-'));
    file = path.join(dir, 'keycard.db');
    reads = 0;
    storage = await openSqliteStorage(file, { onViewerStateRead: () => void reads++ });
    userId = (await insertUser(storage, NOW)).id;
    sessionId = await insertSession(storage, userId, NOW, new Date(NOW.getTime() + DAY));
    await check();
    await check();
    assert.equal(reads, 1);
  });
  afterEach(async () => {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const check = () => storage.sessions.findViewerState(sessionId, NOW.getTime());

  it('a raw UPDATE committed by another connection is seen by the first check of a later turn', async () => {
    const other = new Database(file);
    try {
      other.prepare('UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ?').run(NOW.getTime(), 'REVOKED', sessionId);
    } finally {
      other.close();
    }
    await nextTurn();
    assert.deepEqual((await check())?.revokedAt, NOW);
    assert.equal(reads, 2);
  });

  it("a role changed by another process's Storage is seen by the next check", async () => {
    const other = await openSqliteStorage(file);
    try {
      assert.equal((await other.users.setRole(userId, { role: 'ADMIN', at: NOW, audit: { type: 'ROLE_CHANGED' } })).kind, 'CHANGED');
    } finally {
      await other.close();
    }
    await nextTurn();
    assert.equal((await check())?.role, 'ADMIN');
  });

  it('checks in the turn of a commit elsewhere are concurrent with it: one reading is shared; the next turn reads again and sees it', async () => {
    const other = new Database(file);
    try {
      await nextTurn();
      assert.equal((await check())?.revokedAt, null, 'the turn begins before the commit');
      other.prepare('UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ?').run(NOW.getTime(), 'REVOKED', sessionId);
      await nextTurn();
      assert.deepEqual((await check())?.revokedAt, NOW);
      assert.equal(reads, 2);
    } finally {
      other.close();
    }
  });

  it('control: a write on the same connection that bypasses the repositories is not seen until a repository write; so every repository write must invalidate', async () => {
    sqliteHandleOf(storage).sqlite.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ?').run(NOW.getTime(), sessionId);
    assert.equal((await check())?.revokedAt, null, 'served from the cache: data_version does not move for our own connection');
    const bystander = await insertUser(storage, NOW);
    assert.equal((await storage.users.setRole(bystander.id, { role: 'ADMIN', at: NOW, audit: { type: 'ROLE_CHANGED' } })).kind, 'CHANGED');
    assert.deepEqual((await check())?.revokedAt, NOW);
    assert.equal(reads, 2);
  });
});
