import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app';
import { PASSWORD, uniqueEmail } from '../support/graphql';

const BASELINE: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

function request(t: TestApp, path: string, init: RequestInit = {}) {
  return fetch(`${t.url}${path}`, init);
}

const json = { 'content-type': 'application/json' };

describe('security headers', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ NODE_ENV: 'development' });
  });
  afterEach(() => t.close());

  it('every response carries the baseline headers, and every JSON one a deny-all CSP; plain HTTP sends no HSTS', async () => {
    const signup = JSON.stringify({ query: `mutation { signup(input: {email: "${uniqueEmail()}", password: "${PASSWORD}"}) { accessToken } }` });
    const responses: Array<[string, Response]> = [
      ['healthz', await request(t, '/healthz')],
      ['readyz', await request(t, '/readyz')],
      ['jwks', await request(t, '/.well-known/jwks.json')],
      ['not found', await request(t, '/nope')],
      ['graphql query', await request(t, '/graphql', { method: 'POST', headers: json, body: '{"query":"{ __typename }"}' })],
      ['graphql signup', await request(t, '/graphql', { method: 'POST', headers: json, body: signup })],
      ['graphql error', await request(t, '/graphql', { method: 'POST', headers: json, body: '{"query":"{ nope }"}' })],
      ['bad JSON', await request(t, '/graphql', { method: 'POST', headers: json, body: '{' })],
      ['too large', await request(t, '/graphql', { method: 'POST', headers: json, body: JSON.stringify({ query: 'x'.repeat(200 * 1024) }) })],
      ['preflight', await request(t, '/graphql', { method: 'OPTIONS' })],
      ['csrf refused', await request(t, '/graphql', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' })],
    ];
    for (const [label, response] of responses) {
      await response.arrayBuffer();
      for (const [name, value] of Object.entries(BASELINE)) assert.equal(response.headers.get(name), value, `${label}: ${name}`);
      if (response.status !== 204) assert.equal(response.headers.get('content-security-policy'), API_CSP, `${label}: CSP`);
      assert.equal(response.headers.get('strict-transport-security'), null, `${label}: no HSTS over plain HTTP`);
    }
  });

  it('responses that can carry tokens are never stored: Cache-Control no-store on every /graphql answer', async () => {
    const login = await request(t, '/graphql', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ query: `mutation { signup(input: {email: "${uniqueEmail()}", password: "${PASSWORD}"}) { accessToken refreshToken } }` }),
    });
    const body = (await login.json()) as { data: { signup: { accessToken: string } } };
    assert.ok(body.data.signup.accessToken);
    assert.equal(login.headers.get('cache-control'), 'no-store');
    const failed = await request(t, '/graphql', { method: 'POST', headers: json, body: '{"query":"{ nope }"}' });
    assert.equal(failed.headers.get('cache-control'), 'no-store');
  });

  it('the Sandbox page (development) drops the API CSP so that it can load, and keeps the rest', async () => {
    const page = await request(t, '/graphql', { headers: { accept: 'text/html' } });
    assert.match(await page.text(), /sandbox/i);
    assert.equal(page.headers.get('content-security-policy'), null);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('cache-control'), 'no-store');
  });
});
