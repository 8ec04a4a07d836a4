import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { after, afterEach, it } from 'node:test';
import { PostgresStorageError } from '../../../src/storage/postgres/errors';
import { isPostgresUrl, openPostgresStorage } from '../../../src/storage/postgres/storage';
import { eventually, createTestDatabase, sqlOn, storageOpener, type TestDatabase } from '../../support/postgres';
import { startTcpProxy } from '../../support/tcp-proxy';
import { insertUser } from './fixtures';
import { onlyOn } from '../../support/dialect';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../support/paths';

/** Every migration in drizzle/postgres, each applied once. */
const MIGRATIONS = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'drizzle/postgres/meta/_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;

const NOW = new Date(Date.UTC(2026, 0, 1));

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// The PostgreSQL adapter's own tests: registered on the PostgreSQL pass only
// (test/support/dialect.ts), where the rest of the suite runs on PostgreSQL too; the SQLite
// pass would run them unchanged a second time.
onlyOn('postgres')('openPostgresStorage', () => {
  const opener = storageOpener();
  const databases: TestDatabase[] = [];
  const database = async () => {
    const made = await createTestDatabase();
    databases.push(made);
    return made;
  };
  afterEach(() => opener.closeAll());
  after(async () => {
    await Promise.all(databases.map((d) => d.drop()));
  });

  it('applies the migrations to an empty database; opening it again applies nothing', async () => {
    const { url } = await database();
    const first = await opener.open(url);
    assert.equal(first.dialect, 'postgres');
    const tables = await sqlOn<{ table_name: string }>(url, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`);
    assert.deepEqual(tables.map((t) => t.table_name), ['api_tokens', 'audit_events', 'device_authorizations', 'identities', 'oauth_states', 'one_time_tokens', 'rate_limits', 'refresh_tokens', 'sessions', 'signing_keys', 'users']);
    await opener.open(url);
    assert.deepEqual(await sqlOn(url, 'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations'), [{ n: MIGRATIONS }]);
  });

  it('five instances starting together on an empty database: all open, the migrations run once', async () => {
    const { url } = await database();
    const storages = await Promise.all(Array.from({ length: 5 }, () => opener.open(url, { pool: { max: 2 } })));
    assert.equal(storages.length, 5);
    assert.deepEqual(await sqlOn(url, 'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations'), [{ n: MIGRATIONS }]);
    const user = await insertUser(storages[0]!, NOW);
    assert.equal((await storages[4]!.users.findById(user.id))?.id, user.id);
  });

  it('refuses a URL that is not PostgreSQL', async () => {
    assert.equal(isPostgresUrl('postgres://u:p@h/d'), true);
    assert.equal(isPostgresUrl('postgresql://u:p@h/d'), true);
    assert.equal(isPostgresUrl('data/keycard.db'), false);
    await assert.rejects(openPostgresStorage({ url: 'mysql://u:p@h/d' }), /postgres:\/\/ or postgresql:\/\//);
  });

  it('fails to open when the server cannot be reached, without the password in the error', async () => {
    const url = `postgres://keycard:hunter2-secret@127.0.0.1:${await closedPort()}/keycard`;
    const error = await openPostgresStorage({ url, pool: { connectionTimeoutMs: 2_000 } }).then(
      () => assert.fail('expected the open to fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PostgresStorageError, String(error));
    assert.equal(error.code, 'ECONNREFUSED');
    assert.doesNotMatch(`${error.message} ${error.stack}`, /hunter2/);
  });

  it('ping() is false (never a throw) while the server is unreachable, true once it is back; the storage recovers', async () => {
    const { url } = await database();
    const target = new URL(url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port));
    const background: unknown[] = [];
    try {
      const storage = await opener.open(proxy.urlFor(url), {
        pingTimeoutMs: 1_000,
        // Every ping writes: this test watches the outage begin and end.
        readinessIntervalMs: 0,
        pool: { connectionTimeoutMs: 1_000 },
        listener: { minRetryMs: 50, maxRetryMs: 200, heartbeatMs: 200, heartbeatTimeoutMs: 500 },
        onBackgroundError: (error) => background.push(error),
      });
      assert.equal(await storage.ping(), true);
      const user = await insertUser(storage, NOW);

      proxy.cut();
      assert.equal(await storage.ping(), false);
      assert.equal(await storage.ping(), false);
      const failure = await storage.users.findById(user.id).then(
        () => assert.fail('expected the read to fail'),
        (e: unknown) => e,
      );
      assert.ok(failure instanceof PostgresStorageError, String(failure));
      assert.doesNotMatch(failure.message, /select|users|\$1/i);
      await eventually(() => !storage.diagnostics().listening, 2_000, 'the LISTEN connection is seen lost');
      assert.ok(background.every((e) => e instanceof PostgresStorageError), 'background errors are reported, translated, and crash nothing');

      proxy.restore();
      await eventually(() => storage.ping(), 5_000, 'ping true again');
      assert.equal((await storage.users.findById(user.id))?.id, user.id);
      await eventually(() => storage.diagnostics().listening, 5_000, 'LISTEN again');
    } finally {
      await opener.closeAll();
      await proxy.close();
    }
  });

  it('a LISTEN connection that goes silent (no reset, nothing arrives) is found dead by the heartbeat and replaced', async () => {
    const { url } = await database();
    const target = new URL(url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port));
    try {
      const storage = await opener.open(url, {
        listener: { url: proxy.urlFor(url), minRetryMs: 50, maxRetryMs: 200, heartbeatMs: 100, heartbeatTimeoutMs: 300 },
      });
      assert.equal(storage.diagnostics().listening, true);
      proxy.stall();
      // Until the heartbeat misses, nothing on the socket says it is dead.
      await eventually(() => !storage.diagnostics().listening, 3_000, 'the heartbeat finds the connection dead');
      // Fail closed meanwhile: the pool (not behind the proxy) still answers, and every check reads it.
      const user = await insertUser(storage, NOW);
      const session = crypto.randomUUID();
      await storage.sessions.create(
        { id: session, userId: user.id, createdAt: NOW, lastUsedAt: NOW, expiresAt: new Date(NOW.getTime() + 60_000), maxExpiresAt: new Date(NOW.getTime() + 60_000) },
        { id: crypto.randomUUID(), tokenHash: crypto.randomUUID(), createdAt: NOW, expiresAt: new Date(NOW.getTime() + 60_000) },
        { type: 'LOGIN_SUCCEEDED' },
      );
      const reads = storage.diagnostics().viewerStateReads;
      await storage.sessions.findViewerState(session, NOW.getTime());
      await storage.sessions.findViewerState(session, NOW.getTime());
      assert.equal(storage.diagnostics().viewerStateReads, reads + 2);
      proxy.restore();
      await eventually(() => storage.diagnostics().listening, 5_000, 'LISTEN again');
    } finally {
      await opener.closeAll();
      await proxy.close();
    }
  });

  it('ping() of a closed storage is false; close() twice is harmless', async () => {
    const { url } = await database();
    const storage = await openPostgresStorage({ url, pool: { max: 1 } });
    assert.equal(await storage.ping(), true);
    await storage.close();
    await storage.close();
    assert.equal(await storage.ping(), false);
  });

  it('a storage error carries the SQLSTATE and constraint, not the SQL, its parameters or the row', async () => {
    const { url } = await database();
    const storage = await opener.open(url);
    // A session of a user that does not exist: a foreign key violation inside create's transaction.
    const error = await storage.sessions
      .create(
        { id: 'sid', userId: 'no-such-user', createdAt: NOW, lastUsedAt: NOW, expiresAt: NOW, maxExpiresAt: NOW, csrfTokenHash: 'csrf-secret' },
        { id: 'tid', tokenHash: 'token-hash-secret', createdAt: NOW, expiresAt: NOW },
        { type: 'LOGIN_SUCCEEDED' },
      )
      .then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof PostgresStorageError);
    assert.equal(error.code, '23503');
    assert.match(error.message, /23503/);
    const everything = `${error.message} ${error.stack} ${JSON.stringify(error)} ${String((error as { cause?: unknown }).cause)}`;
    assert.doesNotMatch(everything, /insert|csrf-secret|token-hash-secret|no-such-user|params/i);
  });
});
