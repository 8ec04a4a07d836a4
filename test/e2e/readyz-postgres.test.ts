import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { MeDocument } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { onlyOn } from '../support/dialect';
import { assertErrorCode, call, login, PASSWORD, post, signup, uniqueEmail } from '../support/graphql';
import { createTestDatabase, eventually, type TestDatabase } from '../support/postgres';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

/**
 * A running app whose PostgreSQL server goes away and comes back (a TCP proxy between them, cut
 * and restored; the server itself keeps serving the other test files). Registered on the
 * PostgreSQL pass only: a SQLite file has no server to lose, and its /readyz failure (a closed
 * database) is covered for both dialects in http-surface.test.ts.
 */
onlyOn('postgres')('/readyz and GraphQL while PostgreSQL cannot be reached, and after it is back', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;
  before(async () => {
    database = await createTestDatabase();
    const target = new URL(database.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port));
    t = await startTestApp({ DATABASE_URL: proxy.urlFor(database.url), DATABASE_CONNECT_TIMEOUT: '1s' });
  });
  after(async () => {
    await t?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('answers 503 and a bare INTERNAL_SERVER_ERROR while cut, then 200 and serves again without a restart', async () => {
    const email = uniqueEmail('readyz');
    const { accessToken } = await signup(t.url, { email });
    assert.equal((await fetch(`${t.url}/readyz`)).status, 200);

    proxy.cut();
    const ready = await fetch(`${t.url}/readyz`);
    assert.equal(ready.status, 503);

    const loginAnswer = await post(t.url, { query: 'mutation ($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }', variables: { e: email, p: PASSWORD } });
    const meAnswer = await post(t.url, { query: '{ me { id email } }' }, { authorization: `Bearer ${accessToken}` });
    for (const [label, answer] of [['login', loginAnswer], ['me', meAnswer]] as const) {
      assert.ok(answer.errors?.length, `${label}: ${answer.text}`);
      for (const error of answer.errors!) {
        assert.equal(error.extensions?.code, 'INTERNAL_SERVER_ERROR', `${label}: ${answer.text}`);
        assert.deepEqual(Object.keys(error.extensions ?? {}), ['code'], `${label}: ${answer.text}`);
      }
      assert.doesNotMatch(answer.text, /select|insert|update|postgres|drizzle|database|connect|terminat|ECONN|timeout|stack|at .*\.js/i, label);
    }

    proxy.restore();
    // The pool drops its broken connections and opens new ones on demand: no restart.
    await eventually(async () => (await fetch(`${t.url}/readyz`)).status === 200, 10_000, '/readyz answers 200 again');
    const again = await login(t.url, email);
    assert.equal(typeof again.accessToken, 'string');
    const me = await call(t.url, MeDocument, {}, { accessToken });
    assert.equal(me.errors, undefined, JSON.stringify(me.errors));
    assert.equal(me.data?.me?.email, email);
    assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: 'not-a-token' }), 'UNAUTHENTICATED');
  });
});
