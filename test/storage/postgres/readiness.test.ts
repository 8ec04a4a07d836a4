import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { onlyOn } from '../../support/dialect';
import { createMigratedTestDatabase, eventually, sqlOn, storageOpener, type TestDatabase } from '../../support/postgres';

// PostgreSQL by nature: a database the server makes read-only (as a replica, or an operator's
// default_transaction_read_only) still answers `SELECT 1`. SQLite's read-only and full files
// are in test/storage/sqlite/unwritable.test.ts.
onlyOn('postgres')('PostgreSQL readiness', () => {
  const opener = storageOpener();
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await opener.closeAll();
    await database?.drop();
  });

  it('ping() is false while the pool cannot write (read-only transactions) and true again once it can, without a restart', async () => {
    database = await createMigratedTestDatabase();
    const storage = await opener.open(database.url);
    assert.equal(await storage.ping(), true);

    // New connections start read-only; the pool's current ones are ended so that it opens new ones.
    const reconnect = () => sqlOn(database!.url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database!.name]);
    await sqlOn(database.url, `ALTER DATABASE "${database.name}" SET default_transaction_read_only = on`);
    await reconnect();
    await eventually(async () => !(await storage.ping()), 5_000, 'ping false on a read-only database');

    // From another database of the server: this one refuses the ALTER now.
    const admin = new URL(database.url);
    admin.pathname = '/postgres';
    await sqlOn(admin.toString(), `ALTER DATABASE "${database.name}" RESET default_transaction_read_only`);
    await reconnect();
    await eventually(() => storage.ping(), 5_000, 'ping true once writes are allowed again');
  });
});
