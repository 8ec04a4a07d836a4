import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, it } from 'node:test';
import Database from 'better-sqlite3';
import { createGroupCommit } from '../../../src/storage/sqlite/group-commit';
import { onlyOn } from '../../support/dialect';

// SQLite by nature (a database file, its pragmas, its connection): registered on the SQLite
// pass only (test/support/dialect.ts); the PostgreSQL pass runs the same behaviour through
// the PostgreSQL adapter in the rest of the suite.
onlyOn('sqlite')('group commit: writes asked for in one turn share one transaction', () => {
  let dir: string;
  let writer: Database.Database;
  let reader: Database.Database;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-group-commit-'));
    writer = new Database(path.join(dir, 'db.sqlite'));
    writer.pragma('journal_mode = WAL');
    writer.pragma('foreign_keys = ON');
    writer.exec(`
      CREATE TABLE parents (id TEXT PRIMARY KEY);
      CREATE TABLE items (name TEXT PRIMARY KEY, parent TEXT REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED);
      INSERT INTO parents VALUES ('p');
    `);
    // A second connection sees only what is committed.
    reader = new Database(path.join(dir, 'db.sqlite'), { readonly: true });
  });
  afterEach(() => {
    reader.close();
    writer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const committedNames = () => (reader.prepare('SELECT name FROM items ORDER BY name').pluck().all() as string[]).join(',');

  /** Inserts an item; records, for each write, what the other connection had seen committed when it ran. */
  function insertItems() {
    const insert = writer.prepare('INSERT INTO items (name, parent) VALUES (?, ?)');
    const committedWhenApplied: string[] = [];
    const write = createGroupCommit(writer, (item: { name: string; parent: string }) => {
      committedWhenApplied.push(committedNames());
      insert.run(item.name, item.parent);
      return item.name;
    });
    return { write, committedWhenApplied };
  }

  it('applies the writes of one turn before any of them commits, and writes of later turns after', async () => {
    const { write, committedWhenApplied } = insertItems();
    await Promise.all([write({ name: 'a', parent: 'p' }), write({ name: 'b', parent: 'p' }), write({ name: 'c', parent: 'p' })]);
    await write({ name: 'd', parent: 'p' });
    assert.deepEqual(committedWhenApplied, ['', '', '', 'a,b,c']);
  });

  it('resolves every caller only once its write is committed and visible to other connections', async () => {
    const { write } = insertItems();
    const results = await Promise.all(['a', 'b', 'c'].map((name) => write({ name, parent: 'p' }).then((value) => ({ value, seen: committedNames() }))));
    assert.deepEqual(results.map((r) => r.value), ['a', 'b', 'c']);
    for (const result of results) assert.equal(result.seen, 'a,b,c');
  });

  it('rolls back a write that throws alone: its caller gets the error, the others commit', async () => {
    const { write } = insertItems();
    const outcomes = await Promise.allSettled([write({ name: 'a', parent: 'p' }), write({ name: 'a', parent: 'p' }), write({ name: 'b', parent: 'p' })]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    assert.equal(committedNames(), 'a,b');
  });

  it('runs a batch in one plain pass, and only after a write throws a second pass with a savepoint per write', async () => {
    const calls: string[] = [];
    const insert = writer.prepare('INSERT INTO items (name, parent) VALUES (?, ?)');
    const write = createGroupCommit(writer, (name: string) => {
      calls.push(name);
      insert.run(name, 'p');
      return name;
    });
    await Promise.all(['a', 'b', 'c'].map((name) => write(name)));
    assert.deepEqual(calls, ['a', 'b', 'c']);
    calls.length = 0;
    await Promise.allSettled(['d', 'a', 'e'].map((name) => write(name)));
    // First pass: d, then a throws and the transaction is rolled back; second pass: all three.
    assert.deepEqual(calls, ['d', 'a', 'd', 'a', 'e']);
    assert.equal(committedNames(), 'a,b,c,d,e');
  });

  it('rolls back everything a throwing write did, even its statements that succeeded; the others commit once', async () => {
    const insert = writer.prepare('INSERT INTO items (name, parent) VALUES (?, ?)');
    const write = createGroupCommit(writer, (names: string[]) => {
      for (const name of names) insert.run(name, 'p');
      return names.join('+');
    });
    const outcomes = await Promise.allSettled([write(['a']), write(['b', 'c', 'a']), write(['d'])]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    assert.equal(committedNames(), 'a,d');
  });

  it('does not run a batch again when its transaction cannot begin: every caller gets the lock error', async () => {
    let applied = 0;
    const insert = writer.prepare('INSERT INTO items (name, parent) VALUES (?, ?)');
    const write = createGroupCommit(writer, (name: string) => {
      applied++;
      insert.run(name, 'p');
    });
    // Another connection holds the write lock; with no busy timeout, BEGIN IMMEDIATE fails at once.
    const other = new Database(path.join(dir, 'db.sqlite'));
    other.pragma('busy_timeout = 0');
    writer.pragma('busy_timeout = 0');
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const outcomes = await Promise.allSettled([write('a'), write('b')]);
      assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
      for (const outcome of outcomes) assert.equal(((outcome as PromiseRejectedResult).reason as { code?: string }).code, 'SQLITE_BUSY');
      assert.equal(applied, 0);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    assert.equal(committedNames(), '');
  });

  it('rejects every caller of a batch whose commit fails, and nothing of it is written', async () => {
    const { write } = insertItems();
    // A deferred foreign key is checked at COMMIT: the whole batch fails there.
    const outcomes = await Promise.allSettled([write({ name: 'a', parent: 'p' }), write({ name: 'b', parent: 'missing' })]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
    for (const outcome of outcomes) assert.match(String((outcome as PromiseRejectedResult).reason), /FOREIGN KEY constraint failed/);
    assert.equal(committedNames(), '');
    assert.equal(writer.inTransaction, false);
  });

  it('keeps working after a failed batch, for writes in later turns', async () => {
    const { write } = insertItems();
    await Promise.allSettled([write({ name: 'x', parent: 'missing' })]);
    assert.equal(await write({ name: 'a', parent: 'p' }), 'a');
    assert.equal(await write({ name: 'b', parent: 'p' }), 'b');
    assert.equal(committedNames(), 'a,b');
  });
});
