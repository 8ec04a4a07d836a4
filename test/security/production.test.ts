import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Storage } from '../../src/storage/storage';
import { startTestApp, type TestApp } from '../support/app';
import { post, signup } from '../support/graphql';
import { openTestStorage } from '../support/storage';

/** What must never reach a client: stack frames, SQL, and the words of the libraries underneath. */
const LEAKS = /\bat \S+ \(|\.[jt]s:\d+|stack|select |insert |update .* set|sqlite|drizzle|jsonwebtoken|jwt malformed|invalid signature|argon2|zod|graphql-shield|Not Authorised|TypeError|ReferenceError|Cannot read prop|undefined is not/i;
const MISSPELLED = '{ mee { id } }';
const ALLOWED_EXTENSIONS = new Set(['code', 'reason', 'field', 'retryAfter']);

type Answer = Awaited<ReturnType<typeof post>>;

function assertClean(label: string, answer: Answer): void {
  assert.doesNotMatch(answer.text, LEAKS, `${label}: ${answer.text}`);
  for (const error of answer.errors ?? []) {
    assert.equal(typeof error.extensions?.code, 'string', `${label}: every error has a code`);
    // Only the contract's extras ever ride along with a code: no stacktrace, no library detail.
    const extras = Object.keys(error.extensions ?? {}).filter((key) => !ALLOWED_EXTENSIONS.has(key));
    assert.deepEqual(extras, [], `${label}: extensions other than the contract's`);
  }
}

describe('#29 production guards', () => {
  let prod: TestApp;
  beforeEach(async () => {
    prod = await startTestApp({ NODE_ENV: 'production' });
  });
  afterEach(() => prod.close());

  it('#29 a misspelled field gets no "Did you mean" in production (and does in development)', async () => {
    const answer = await post(prod.url, { query: MISSPELLED });
    assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.doesNotMatch(answer.text, /did you mean/i);
    assert.doesNotMatch(answer.text, /"me"/, 'the real field name is not hinted either');
    const argument = await post(prod.url, { query: '{ users(frist: 1) { totalCount } }' });
    assert.equal(argument.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.doesNotMatch(argument.text, /did you mean|"first"/i);

    const dev = await startTestApp({ NODE_ENV: 'development' });
    try {
      assert.match((await post(dev.url, { query: MISSPELLED })).text, /did you mean/i);
    } finally {
      await dev.close();
    }
  });

  it('#29 introspection is off in production: __schema and __type are refused', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "User") { fields { name } } }']) {
      const answer = await post(prod.url, { query });
      assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', query);
      assert.equal(answer.data, undefined, query);
      assert.doesNotMatch(answer.text, /"fields"|"types"/);
    }
  });

  it('#29 the Sandbox landing page is off in production unless SANDBOX_ENABLED', async () => {
    const page = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.doesNotMatch(await page.text(), /sandbox|<html/i);
    const enabled = await startTestApp({ NODE_ENV: 'production', SANDBOX_ENABLED: 'true' });
    try {
      const sandbox = await fetch(`${enabled.url}/graphql`, { headers: { accept: 'text/html' } });
      assert.match(await sandbox.text(), /sandbox/i);
    } finally {
      await enabled.close();
    }
  });

  it('#29 no error of any kind carries a stack trace, SQL or library text', async () => {
    const { accessToken } = await signup(prod.url);
    const header = (value: string) => ({ authorization: value });
    const answers: Array<[string, Answer]> = [
      ['syntax error', await post(prod.url, { query: '{ me { id ' })],
      ['unknown field', await post(prod.url, { query: MISSPELLED })],
      ['wrong argument type', await post(prod.url, { query: '{ users(first: "many") { totalCount } }' })],
      ['missing variable', await post(prod.url, { query: 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }' })],
      ['bad variable type', await post(prod.url, { query: 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }', variables: { i: { email: 1, password: [] } } })],
      ['malformed JSON', await post(prod.url, '{"query": ')],
      ['no query', await post(prod.url, { variables: {} })],
      ['malformed bearer', await post(prod.url, { query: '{ me { id } }' }, header('Bearer not.a.jwt'))],
      ['garbage bearer', await post(prod.url, { query: '{ me { id } }' }, header(`Bearer ${'%'.repeat(50)}`))],
      ['tampered bearer', await post(prod.url, { query: '{ me { id } }' }, header(`Bearer ${accessToken.slice(0, -4)}AAAA`))],
      ['forbidden field', await post(prod.url, { query: '{ users { totalCount } }' }, header(`Bearer ${accessToken}`))],
      ['wrong password', await post(prod.url, { query: 'mutation { login(input: {email: "nobody@example.com", password: "password123"}) { accessToken } }' })],
      ['malformed refresh token', await post(prod.url, { query: 'mutation { refresh(refreshToken: "\' OR 1=1 --") { accessToken } }' })],
      ['unknown session id', await post(prod.url, { query: 'mutation { revokeSession(id: "\' OR 1=1 --") }' }, header(`Bearer ${accessToken}`))],
      ['over a limit', await post(prod.url, { query: `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: __typename`).join(' ')} }` })],
      ['batched', await post(prod.url, [{ query: '{ __typename }' }, { query: '{ __typename }' }])],
    ];
    for (const [label, answer] of answers) {
      assert.ok(answer.status < 500, `${label}: status ${answer.status}`);
      assertClean(label, answer);
    }
  });

  it('#29 an internal failure in production is a bare INTERNAL_SERVER_ERROR', async () => {
    // The storage fails the refresh the way a driver does: its words, the SQL and the table in the message.
    const real = await openTestStorage();
    const driverError = Object.assign(new Error('SqliteError: no such table: refresh_tokens (select "id" from "refresh_tokens" where "token_hash" = ?)'), {
      name: 'SqliteError',
      code: 'SQLITE_ERROR',
    });
    const fail = () => Promise.reject(driverError);
    // The one-round-trip refresh (PostgreSQL) looks the token up in findAndRotate instead.
    const failing: Storage = { ...real, sessions: { ...real.sessions, findRefreshState: fail, ...(real.sessions.findAndRotate ? { findAndRotate: fail } : {}) } };
    const broken = await startTestApp({ NODE_ENV: 'production' }, { storage: failing });
    try {
      const { refreshToken } = await signup(broken.url);
      const answer = await post(broken.url, { query: 'mutation ($r: String) { refresh(refreshToken: $r) { accessToken } }', variables: { r: refreshToken } });
      assert.equal(answer.errors?.[0]?.extensions?.code, 'INTERNAL_SERVER_ERROR');
      assert.equal(answer.errors?.[0]?.message, 'Internal server error.');
      assertClean('dropped table', answer);
      assert.doesNotMatch(answer.text, /refresh_tokens|no such table/i);
    } finally {
      await broken.close();
    }
  });
});
