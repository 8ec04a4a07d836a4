import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app';
import { post, signup } from '../support/graphql';

describe('HTTP surface', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('GET /healthz answers 200 {"status":"ok"}', async () => {
    const response = await fetch(`${t.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('GET /readyz answers 200 while the database answers', async () => {
    assert.equal((await fetch(`${t.url}/readyz`)).status, 200);
  });

  it('GET /.well-known/jwks.json lists the public signing key with kid, alg and use', async () => {
    const response = await fetch(`${t.url}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    const { keys } = (await response.json()) as { keys: Array<Record<string, string>> };
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.alg, 'ES256');
    assert.equal(keys[0]!.use, 'sig');
    assert.equal(keys[0]!.kid, t.app.keySet.signingKey().kid);
    assert.equal(keys[0]!.d, undefined, 'no private part');
  });

  it('an unknown path is a JSON 404', async () => {
    const response = await fetch(`${t.url}/nope`);
    assert.equal(response.status, 404);
  });

  it('#22 a mutation over GET is refused', async () => {
    const query = encodeURIComponent('mutation { logoutAll }');
    const response = await fetch(`${t.url}/graphql?query=${query}`, { headers: { 'apollo-require-preflight': 'true' } });
    assert.equal(response.status, 405);
  });

  it('a query over GET works when it carries a preflight header', async () => {
    const query = encodeURIComponent('{ me { id } }');
    const response = await fetch(`${t.url}/graphql?query=${query}`, { headers: { 'apollo-require-preflight': 'true' } });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { data: { me: null } });
  });

  it('#22 a POST with Content-Type text/plain or a form type is refused before any resolver runs', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: JSON.stringify({ query: 'mutation { signup(input: {email: "csrf@example.com", password: "password123"}) { accessToken } }' }),
      });
      assert.equal(response.status, 400, type);
    }
    const probe = await post(t.url, { query: 'mutation { login(input: {email: "csrf@example.com", password: "password123"}) { accessToken } }' });
    assert.equal(probe.errors?.[0]?.extensions?.code, 'INVALID_CREDENTIALS', 'the refused signup never ran');
  });

  it('#25 a JSON array of operations (batched HTTP) is refused', async () => {
    const result = await post(t.url, [{ query: '{ me { id } }' }, { query: '{ me { id } }' }]);
    assert.equal(result.status, 400);
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  it('a body that is not JSON is a 400 with BAD_USER_INPUT', async () => {
    const result = await post(t.url, '{"query": ');
    assert.equal(result.status, 400);
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  it('a syntax error and an unknown field are BAD_USER_INPUT with the GraphQL reason', async () => {
    const syntax = await post(t.url, { query: '{ me { id ' });
    assert.equal(syntax.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(syntax.errors?.[0]?.extensions?.reason, 'GRAPHQL_PARSE_FAILED');
    const unknown = await post(t.url, { query: '{ nope }' });
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(unknown.errors?.[0]?.extensions?.reason, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('GraphQL responses are never cached: Cache-Control no-store, and nosniff', async () => {
    const result = await post(t.url, { query: '{ me { id } }' });
    assert.equal(result.headers.get('cache-control'), 'no-store');
    assert.equal(result.headers.get('x-content-type-options'), 'nosniff');
  });

  it('GET /graphql with Accept text/html serves the Apollo Sandbox landing page in development', async () => {
    const dev = await startTestApp({ NODE_ENV: 'development' });
    try {
      const response = await fetch(`${dev.url}/graphql`, { headers: { accept: 'text/html' } });
      assert.equal(response.status, 200);
      assert.match(await response.text(), /sandbox/i);
    } finally {
      await dev.close();
    }
  });

  it('the landing page is off in production unless SANDBOX_ENABLED', async () => {
    const prod = await startTestApp({ NODE_ENV: 'production' });
    try {
      const response = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
      assert.doesNotMatch(await response.text(), /sandbox/i);
    } finally {
      await prod.close();
    }
  });

  it('introspection is on in development and off in production', async () => {
    const prod = await startTestApp({ NODE_ENV: 'production' });
    try {
      const off = await post(prod.url, { query: '{ __schema { queryType { name } } }' });
      assert.equal(off.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      const on = await post(t.url, { query: '{ __schema { queryType { name } } }' });
      assert.deepEqual(on.data, { __schema: { queryType: { name: 'Query' } } });
    } finally {
      await prod.close();
    }
  });
});

describe('unexpected failures', () => {
  it('a storage failure is INTERNAL_SERVER_ERROR with no SQL, stack or library text, and /readyz says 503', async () => {
    const t = await startTestApp();
    try {
      const { accessToken } = await signup(t.url);
      await t.app.storage.close();
      const result = await post(t.url, { query: 'mutation { login(input: {email: "x@example.com", password: "password123"}) { accessToken } }' }, { authorization: `Bearer ${accessToken}` });
      assert.ok(result.errors?.length);
      for (const error of result.errors!) {
        assert.equal(error.extensions?.code, 'INTERNAL_SERVER_ERROR');
        assert.deepEqual(Object.keys(error.extensions ?? {}), ['code']);
      }
      assert.doesNotMatch(result.text, /select|sqlite|drizzle|database|stack|at .*\.js/i);
      assert.equal((await fetch(`${t.url}/readyz`)).status, 503);
    } finally {
      await t.close();
    }
  });
});
