import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MeDocument, UsersDocument } from '../../src/client/generated/graphql';
import { looksLikeApiToken } from '../../src/tokens/api-token';
import type { TestApp } from '../support/app';
import { assertErrorCode, call, signup } from '../support/graphql';
import { createCliWorkspace, type CliWorkspace } from './run-cli';

describe('api-token:create', () => {
  let cli: CliWorkspace;
  let t: TestApp;
  beforeEach(async () => {
    cli = await createCliWorkspace();
    t = await cli.startApp();
  });
  afterEach(async () => {
    await t.close();
    await cli.remove();
  });

  it('bad command lines exit 2 before the database is read', async () => {
    const cases: Array<[string[], string]> = [
      [['--name', 'n', '--scopes', 'read:profile'], '--email is required'],
      [['--email', 'ops@example.com', '--scopes', 'read:profile'], '--name is required'],
      [['--email', 'ops@example.com', '--name', 'n'], '--scopes is required'],
    ];
    for (const [args, message] of cases) {
      assert.deepEqual(await cli.run(['api-token:create', ...args]), { code: 2, stdout: '', stderr: `keycard api-token:create: ${message}\n` });
    }
  });

  it('prints a working token once on standard output, with the scopes of its role only', async () => {
    const { user } = await signup(t.url);
    const created = await cli.run(['api-token:create', '--email', user.email!, '--name', 'backup job', '--scopes', 'read:profile,read:audit', '--expires-in', '90d']);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.ok(looksLikeApiToken(token));
    assert.equal(created.stdout, `${token}\n`);
    assert.ok(!created.stderr.includes(token), 'the token is printed once');
    assert.match(created.stderr, /scopes read:profile read:audit, expires /);
    const me = await call(t.url, MeDocument, {}, { accessToken: token });
    assert.equal(me.data?.me?.id, user.id);
    assertErrorCode(await call(t.url, UsersDocument, { first: 1 }, { accessToken: token }), 'FORBIDDEN');

    const beyond = await cli.run(['api-token:create', '--email', user.email!, '--name', 'n', '--scopes', 'read:users']);
    assert.deepEqual(beyond, { code: 1, stdout: '', stderr: 'keycard api-token:create: Your role does not allow: read:users.\n' });
    const unknown = await cli.run(['api-token:create', '--email', 'nobody@example.com', '--name', 'n', '--scopes', 'read:profile']);
    assert.deepEqual(unknown, { code: 1, stdout: '', stderr: 'keycard api-token:create: no user with email nobody@example.com\n' });
  });
});
