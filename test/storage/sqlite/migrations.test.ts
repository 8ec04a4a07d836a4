import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, it, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import { openDatabase } from '../../../src/storage/sqlite/client';
import { applyMigrations, MIGRATIONS_FOLDER } from '../../../src/storage/sqlite/migrate';
import { openSqliteStorage } from '../../../src/storage/sqlite/storage';
import type { Storage } from '../../../src/storage/storage';
import { REPO_ROOT } from '../../support/paths';
import { onlyOn } from '../../support/dialect';

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}
const journal = (): JournalEntry[] => JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')).entries;

/** What rate-limits.ts created at start before migration 0001, word for word. */
const RATE_LIMITS_AS_THE_CODE_CREATED_IT = 'CREATE TABLE IF NOT EXISTS rate_limits (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER)';

/** A database made by the code before the storage seam (see the fixture's header). */
const FIXTURE = path.join(REPO_ROOT, 'test', 'storage', 'sqlite', 'fixtures', 'database-7ab6f67.sql');

// SQLite by nature (a database file, its pragmas, its connection): registered on the SQLite
// pass only (test/support/dialect.ts); the PostgreSQL pass runs the same behaviour through
// the PostgreSQL adapter in the rest of the suite.
onlyOn('sqlite')('SQLite migrations (drizzle/sqlite)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-migrations-'));
    file = path.join(dir, 'keycard.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Opens the file with the current code, returning how many migrations that applied. */
  async function openCurrent(): Promise<{ storage: Storage; applied: number }> {
    let applied = -1;
    const storage = await openSqliteStorage(file, { onMigrated: (count) => (applied = count) });
    return { storage, applied };
  }

  function raw<T>(read: (sqlite: Database.Database) => T): T {
    const sqlite = new Database(file);
    try {
      return read(sqlite);
    } finally {
      sqlite.close();
    }
  }

  /**
   * Migrates the file as the previous release did: from drizzle/ at the package root, whose
   * journal held 0000_init only (the same entry, moved unchanged to drizzle/sqlite/).
   */
  function migrateWithTheOldLayout(): void {
    const old = path.join(dir, 'old-release', 'drizzle');
    fs.mkdirSync(path.join(old, 'meta'), { recursive: true });
    const [init] = journal();
    fs.copyFileSync(path.join(MIGRATIONS_FOLDER, `${init!.tag}.sql`), path.join(old, `${init!.tag}.sql`));
    fs.writeFileSync(path.join(old, 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'sqlite', entries: [init] }));
    const handle = openDatabase(file);
    try {
      assert.equal(applyMigrations(handle, old), 1);
    } finally {
      handle.close();
    }
  }

  it('the adapter reads drizzle/sqlite; every journal entry has its SQL file, and timestamps strictly increase', () => {
    // drizzle's migrator applies a migration only if it is newer than the last one applied: an
    // entry stamped earlier than its predecessor would be skipped on every existing database.
    assert.equal(MIGRATIONS_FOLDER, path.join(REPO_ROOT, 'drizzle', 'sqlite'));
    const entries = journal();
    assert.deepEqual(entries.map((e) => e.idx), entries.map((_, index) => index));
    for (const entry of entries) assert.ok(fs.existsSync(path.join(MIGRATIONS_FOLDER, `${entry.tag}.sql`)), entry.tag);
    for (let i = 1; i < entries.length; i++) assert.ok(entries[i]!.when > entries[i - 1]!.when, `${entries[i]!.tag} is stamped after ${entries[i - 1]!.tag}`);
  });

  it('a database made before the storage seam opens with the new code: 0001 applies over the table the code had created, and nothing is lost', async (t: TestContext) => {
    raw((sqlite) => sqlite.exec(fs.readFileSync(FIXTURE, 'utf8')));
    const recorded = raw((sqlite) => sqlite.prepare('select hash, created_at from __drizzle_migrations').all()) as Array<{ hash: string; created_at: number }>;
    const init = journal()[0]!;
    // drizzle recorded 0000 by the hash of its SQL and the journal's timestamp, not by folder:
    // the file moved to drizzle/sqlite/ byte for byte, so the migrator sees it as applied.
    const initSql = fs.readFileSync(path.join(MIGRATIONS_FOLDER, `${init.tag}.sql`), 'utf8');
    assert.deepEqual(recorded, [{ hash: crypto.createHash('sha256').update(initSql).digest('hex'), created_at: init.when }]);

    const { storage, applied } = await openCurrent();
    try {
      assert.equal(applied, journal().length - 1, 'every migration after 0000_init, and 0000_init not again');
      const admin = await storage.users.findByEmail('admin@example.com');
      assert.equal(admin?.role, 'ADMIN');
      const [session] = await storage.sessions.listLiveForUser(admin!.id, new Date(Date.UTC(2026, 10, 29)));
      assert.equal(session?.userAgent, 'fixture');
      assert.ok(await storage.sessions.findRefreshState('TG6_z2LIDJo8deJ2PNqfL-xl90J9lY15oWI1dRudTtQ'));
      assert.deepEqual((await storage.signingKeys.list()).map((k) => [k.kid, k.alg]), [['0l-drn1dosL9ZrfJBiXlO_c70HQ-JzT_onux3W3gPq0', 'ES256']]);
      assert.equal(await storage.audit.count({ userId: admin!.id }), 3);
      // The counters the old code wrote are still there, in the table the migration left alone:
      // once their windows have ended (counters run on Date.now()), both are cleared.
      t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2027, 0, 1) });
      assert.equal(await storage.limiterStore.clearExpired(), 2);
      const counter = storage.limiterStore.counter({ name: 'LOGIN_IP', points: 5, durationMs: 60_000 });
      assert.equal((await counter.consume('192.0.2.1')).consumedPoints, 1);
    } finally {
      await storage.close();
    }
    const again = await openCurrent();
    await again.storage.close();
    assert.equal(again.applied, 0);
  });

  it('the old layout, then the code-created rate_limits table with a running counter: the new code keeps the counter', async () => {
    migrateWithTheOldLayout();
    const expire = Date.now() + 60_000;
    raw((sqlite) => {
      sqlite.prepare(RATE_LIMITS_AS_THE_CODE_CREATED_IT).run();
      sqlite.prepare('insert into rate_limits (key, points, expire) values (?, ?, ?)').run('LOGIN_IP:198.51.100.7', 3, expire);
    });
    const { storage, applied } = await openCurrent();
    try {
      assert.equal(applied, journal().length - 1);
      const counter = storage.limiterStore.counter({ name: 'LOGIN_IP', points: 5, durationMs: 60_000 });
      assert.equal((await counter.get('198.51.100.7'))?.consumedPoints, 3);
      assert.equal((await counter.consume('198.51.100.7')).consumedPoints, 4);
    } finally {
      await storage.close();
    }
  });

  it('the old layout without rate_limits (a database the old CLI only migrated): 0001 creates the table', async () => {
    migrateWithTheOldLayout();
    assert.deepEqual(raw((sqlite) => sqlite.prepare("select count(*) as n from sqlite_master where name = 'rate_limits'").get()), { n: 0 });
    const { storage, applied } = await openCurrent();
    try {
      assert.equal(applied, journal().length - 1);
      const counter = storage.limiterStore.counter({ name: 'SIGNUP_IP', points: 1, durationMs: 60_000 });
      await counter.consume('198.51.100.7');
      await assert.rejects(counter.consume('198.51.100.7'));
    } finally {
      await storage.close();
    }
  });

  it("the migrated rate_limits has rate-limiter-flexible's own shape (only its key is also NOT NULL, as a drizzle primary key always is)", async () => {
    const { storage } = await openCurrent();
    await storage.close();
    const columns = (sqlite: Database.Database) =>
      (sqlite.pragma('table_info(rate_limits)') as Array<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>).map((c) => ({
        name: c.name,
        type: c.type.toUpperCase(),
        notnull: c.name === 'key' ? 'see below' : c.notnull,
        dflt_value: c.dflt_value,
        pk: c.pk,
      }));
    const migrated = raw(columns);
    const library = new Database(':memory:');
    try {
      // Left to itself (no tableCreated), the library creates its table, asynchronously.
      await new Promise<void>((resolve, reject) => {
        new RateLimiterSQLite({ storeClient: library, storeType: 'better-sqlite3', tableName: 'rate_limits', points: 1, duration: 1 }, (error?: Error) => (error ? reject(error) : resolve()));
      });
      assert.deepEqual(migrated, columns(library));
    } finally {
      library.close();
    }
    assert.equal(raw((sqlite) => (sqlite.pragma('table_info(rate_limits)') as Array<{ name: string; notnull: number }>).find((c) => c.name === 'key')!.notnull), 1);
  });
});
