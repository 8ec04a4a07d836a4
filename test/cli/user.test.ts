import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LoginDocument, MeDocument } from '../../src/client/generated/graphql';
import type { TestApp } from '../support/app';
import { assertErrorCode, call, login, PASSWORD as PASSWORD_OF_SIGNUP, signup, uniqueEmail } from '../support/graphql';
import { createCliWorkspace, type CliWorkspace } from './run-cli';

const PASSWORD = 'operator chose this one';

describe('user:create', () => {
  let cli: CliWorkspace;
  beforeEach(async () => {
    cli = await createCliWorkspace();
  });
  afterEach(() => cli.remove());

  it('bad command lines exit 2 with one line each, before the database is touched', async () => {
    const cases: Array<[string[], string]> = [
      [['--role', 'ADMIN', '--password-stdin'], '--email is required'],
      [['--email', 'ops@example.com', '--password-stdin'], '--role is required'],
      [['--email', 'ops@example.com', '--role', 'boss', '--password-stdin'], '--role must be one of USER, ADMIN, got "boss"'],
      [['--email', 'not-an-email', '--role', 'ADMIN', '--password-stdin'], '--email must be an email address, got "not-an-email"'],
      // The one email rule (issue 17): the Kelvin sign is not a "k".
      [['--email', 'ops\u212A@example.com', '--role', 'ADMIN', '--password-stdin'], '--email must be an email address, got "ops\u212A@example.com"'],
      [['--email', 'ops@example.com', '--role', 'ADMIN'], '--password-stdin is required: the password is read from standard input'],
      [['--email', 'ops@example.com', '--role', 'ADMIN', '--password', 'hunter22'], "unknown option '--password'"],
    ];
    const results = await Promise.all(cases.map(([args]) => cli.run(['user:create', ...args], { stdin: `${PASSWORD}\n` })));
    results.forEach((result, index) => {
      assert.deepEqual(result, { code: 2, stdout: '', stderr: `keycard user:create: ${cases[index]![1]}\n` });
    });
    assert.equal(await cli.databaseTouched(), false);
  });

  it('refuses an empty standard input and a password the signup rules refuse, with exit 1', async () => {
    const args = ['user:create', '--email', 'ops@example.com', '--role', 'ADMIN', '--password-stdin'];
    assert.deepEqual(await cli.run(args, { stdin: '\n' }), { code: 1, stdout: '', stderr: 'keycard user:create: no password on standard input\n' });
    assert.deepEqual(await cli.run(args, { stdin: 'short\n' }), { code: 1, stdout: '', stderr: 'keycard user:create: The password must be at least 8 characters.\n' });
  });

  it('creates a user whose password came from standard input without its newline, and who can log in', async () => {
    const email = uniqueEmail('ops');
    const created = await cli.run(['user:create', '--email', email.toUpperCase(), '--role', 'admin', '--password-stdin'], { stdin: `${PASSWORD}\n` });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`^created ADMIN ${email.replace(/[.+]/g, '\\$&')} \\(id [0-9a-f-]{36}\\)\\n$`));

    const again = await cli.run(['user:create', '--email', email, '--role', 'USER', '--password-stdin'], { stdin: `${PASSWORD}\n` });
    assert.deepEqual(again, { code: 1, stdout: '', stderr: 'keycard user:create: An account with this email already exists.\n' });

    const t = await cli.startApp();
    try {
      const payload = await login(t.url, email, PASSWORD);
      assert.equal(payload.user.role, 'ADMIN');
    } finally {
      await t.close();
    }
  });
});

describe('user:set-role', () => {
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

  it("changes a running server's user, whose very next request carries the new role", async () => {
    const { accessToken, user } = await signup(t.url);
    const result = await cli.run(['user:set-role', '--email', user.email!, '--role', 'ADMIN']);
    assert.deepEqual(result, { code: 0, stdout: `${user.email} is now ADMIN (was USER)\n`, stderr: '' });
    const me = await call(t.url, MeDocument, {}, { accessToken });
    assert.equal(me.data?.me?.role, 'ADMIN');

    // The same rule as for a GraphQL admin: the last active ADMIN stays.
    const demote = await cli.run(['user:set-role', '--email', user.email!, '--role', 'USER']);
    assert.deepEqual(demote, { code: 1, stdout: '', stderr: 'keycard user:set-role: The last active ADMIN cannot be demoted.\n' });
  });

  it('an unknown email exits 1 and changes nothing', async () => {
    const result = await cli.run(['user:set-role', '--email', 'nobody@example.com', '--role', 'ADMIN']);
    assert.deepEqual(result, { code: 1, stdout: '', stderr: 'keycard user:set-role: no user with email nobody@example.com\n' });
  });
});

describe('user:verify-email', () => {
  let cli: CliWorkspace;
  let t: TestApp;
  beforeEach(async () => {
    cli = await createCliWorkspace();
    t = await cli.startApp(undefined, { REQUIRE_EMAIL_VERIFICATION: 'true' });
  });
  afterEach(async () => {
    await t.close();
    await cli.remove();
  });

  it("marks a running server's user verified: their next login works under REQUIRE_EMAIL_VERIFICATION; again says so", async () => {
    const email = uniqueEmail('verify');
    await signup(t.url, { email });
    assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: PASSWORD_OF_SIGNUP } }), 'EMAIL_NOT_VERIFIED');
    assert.deepEqual(await cli.run(['user:verify-email', '--email', email]), { code: 0, stdout: `${email} is now verified\n`, stderr: '' });
    await login(t.url, email);
    const again = await cli.run(['user:verify-email', '--email', email]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /is already verified \(since /);
    const { rows } = await t.app.audit.page({ first: 10, type: 'EMAIL_VERIFIED' });
    assert.deepEqual(rows.map((row) => row.detail), [{ via: 'cli' }]);
  });

  it('an unknown email exits 1; a missing flag exits 2', async () => {
    assert.deepEqual(await cli.run(['user:verify-email', '--email', 'nobody@example.com']), { code: 1, stdout: '', stderr: 'keycard user:verify-email: no user with email nobody@example.com\n' });
    assert.deepEqual(await cli.run(['user:verify-email']), { code: 2, stdout: '', stderr: 'keycard user:verify-email: --email is required\n' });
  });
});
