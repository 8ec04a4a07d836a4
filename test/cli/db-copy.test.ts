import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MeDocument, RefreshDocument } from '../../src/client/generated/graphql';
import { startTestApp } from '../support/app';
import { call, login, signup, uniqueEmail } from '../support/graphql';
import { onlyOn } from '../support/dialect';
import { createTestDatabase } from '../support/postgres';
import { createCliWorkspace } from './run-cli';

// db:copy reads a SQLite file, which the workspace of the SQLite pass is; the target is a real
// PostgreSQL database on either pass.
onlyOn('sqlite')('db:copy: from SQLite to PostgreSQL', () => {
  it('moves users, sessions, refresh tokens and keys: tokens issued on SQLite keep working on PostgreSQL', async () => {
    const cli = await createCliWorkspace();
    const database = await createTestDatabase();
    try {
      const before = await cli.startApp();
      const email = uniqueEmail();
      let session: Awaited<ReturnType<typeof signup>>;
      try {
        session = await signup(before.url, { email });
      } finally {
        await before.close();
      }

      const copied = await cli.run(['db:copy', '--to', database.url]);
      assert.equal(copied.code, 0, copied.stderr);
      assert.match(copied.stdout, /^copied 1 user, 1 session, 1 refresh token, 1 signing key, 0 identities and [1-9]\d* audit events?; start the servers with that DATABASE_URL and the same KEYCARD_SECRET\n$/);

      const after = await startTestApp({ DATABASE_URL: database.url }, { clock: before.clock });
      try {
        assert.equal((await call(after.url, MeDocument, {}, { accessToken: session.accessToken })).data?.me?.id, session.user.id, 'an access token signed on SQLite verifies');
        const refreshed = await call(after.url, RefreshDocument, { refreshToken: session.refreshToken });
        assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
        await login(after.url, email);
      } finally {
        await after.close();
      }

      const again = await cli.run(['db:copy', '--to', database.url]);
      assert.deepEqual(again, { code: 1, stdout: '', stderr: 'keycard db:copy: the PostgreSQL database already has users: copy into a new, empty database\n' });
    } finally {
      await cli.remove();
      await database.drop();
    }
  });

  it('refuses a --to that is not a PostgreSQL URL (exit 2) and a source that is not a SQLite file (exit 1)', async () => {
    const cli = await createCliWorkspace();
    try {
      assert.deepEqual(await cli.run(['db:copy', '--to', 'file:other.db']), { code: 2, stdout: '', stderr: 'keycard db:copy: --to expects a postgres:// or postgresql:// URL\n' });
      assert.deepEqual(await cli.run(['db:copy']), { code: 2, stdout: '', stderr: 'keycard db:copy: --to is required\n' });
      const fromMemory = await cli.run(['db:copy', '--to', 'postgres://nobody@127.0.0.1:1/none'], { env: { DATABASE_URL: ':memory:' } });
      assert.deepEqual(fromMemory, { code: 1, stdout: '', stderr: 'keycard db:copy: DATABASE_URL must name the SQLite file to copy from (file:<path>)\n' });
    } finally {
      await cli.remove();
    }
  });
});
