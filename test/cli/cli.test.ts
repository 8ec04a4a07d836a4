import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createTestDatabase } from '../support/postgres';
import { tablesAt } from '../support/storage-inspector';
import { createCliWorkspace, type CliWorkspace } from './run-cli';

const COMMANDS = 'migrate, db:copy, user:create, user:set-role, user:verify-email, api-token:create, keys:rotate, keys:list, tokens:prune';

describe('cli dispatch', () => {
  let cli: CliWorkspace;
  beforeEach(async () => {
    cli = await createCliWorkspace();
  });
  afterEach(() => cli.remove());

  it('no command, an unknown command and an unknown option exit 2 with one line, and open nothing', async () => {
    const [none, unknown, option] = await Promise.all([cli.run([]), cli.run(['users:delete']), cli.run(['keys:list', '--all'])]);
    assert.deepEqual(none, { code: 2, stdout: '', stderr: `keycard: missing command (one of: ${COMMANDS}; or help)\n` });
    assert.deepEqual(unknown, { code: 2, stdout: '', stderr: `keycard: unknown command "users:delete" (one of: ${COMMANDS}; or help)\n` });
    assert.deepEqual(option, { code: 2, stdout: '', stderr: "keycard keys:list: unknown option '--all'\n" });
    assert.equal(await cli.databaseTouched(), false);
  });

  it('a bad environment value stops the command with one line naming the variable', async () => {
    const result = await cli.run(['keys:list'], { env: { JWT_ALG: 'HS256' } });
    assert.deepEqual(result, { code: 1, stdout: '', stderr: 'keycard keys:list: JWT_ALG must be one of ES256, RS256, PS256 (got "HS256")\n' });
  });

  it('migrate works on PostgreSQL too: the schema on a new database, then nothing to apply', async () => {
    const database = await createTestDatabase();
    try {
      const env = { DATABASE_URL: database.url };
      const first = await cli.run(['migrate'], { env });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^[1-9]\d* migrations? applied; the database is up to date\n$/);
      assert.deepEqual(await cli.run(['migrate'], { env }), { code: 0, stdout: '0 migrations applied; the database is up to date\n', stderr: '' });
      const rotated = await cli.run(['keys:rotate'], { env });
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match((await cli.run(['keys:list'], { env })).stdout, /\bactive\b/);
    } finally {
      await database.drop();
    }
  });

  it('migrate creates the schema on a new database, and a second run has nothing to apply', async () => {
    const first = await cli.run(['migrate']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^[1-9]\d* migrations? applied; the database is up to date\n$/);
    const second = await cli.run(['migrate']);
    assert.deepEqual(second, { code: 0, stdout: '0 migrations applied; the database is up to date\n', stderr: '' });

    const tables = await tablesAt(cli.databaseUrl);
    for (const table of ['users', 'sessions', 'refresh_tokens', 'signing_keys', 'audit_events', 'rate_limits']) assert.ok(tables.includes(table), table);
  });
});
