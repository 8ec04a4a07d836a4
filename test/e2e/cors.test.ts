import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app';
import { post } from '../support/graphql';

const ALLOWED = 'https://app.example.com';

function preflight(url: string, origin: string) {
  return fetch(`${url}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, x-csrf-token',
    },
  });
}

function listed(header: string | null): string[] {
  return (header ?? '').split(',').map((value) => value.trim().toLowerCase()).filter(Boolean);
}

describe('#23 CORS allowlist', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ CORS_ORIGINS: `${ALLOWED},http://localhost:5173` });
  });
  afterEach(() => t.close());

  it('a preflight from a foreign origin gets no Access-Control-Allow-Origin and no Allow-Credentials', async () => {
    const response = await preflight(t.url, 'https://evil.example');
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(response.headers.get('access-control-allow-credentials'), null);
    assert.equal(response.headers.get('access-control-allow-headers'), null);
  });

  it('origins that merely look like an allowed one are foreign: another scheme, port, suffix or subdomain, and "null"', async () => {
    for (const origin of ['http://app.example.com', 'https://app.example.com:8443', 'https://app.example.com.evil.example', 'https://evil.app.example.com', 'https://APP.example.com', 'null']) {
      const response = await preflight(t.url, origin);
      assert.equal(response.headers.get('access-control-allow-origin'), null, origin);
      assert.equal(response.headers.get('access-control-allow-credentials'), null, origin);
    }
  });

  it('a preflight from an allowlisted origin gets its exact origin back, credentials true, and Authorization and X-CSRF-Token allowed', async () => {
    const response = await preflight(t.url, ALLOWED);
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), ALLOWED);
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    const headers = listed(response.headers.get('access-control-allow-headers'));
    for (const name of ['authorization', 'x-csrf-token', 'content-type']) assert.ok(headers.includes(name), `${name} in ${headers.join(', ')}`);
    assert.ok(listed(response.headers.get('access-control-allow-methods')).includes('post'));
    assert.ok(listed(response.headers.get('vary')).includes('origin'), 'caches must key the answer by Origin');
  });

  it('each allowlisted origin gets its own origin back, never the list', async () => {
    const response = await preflight(t.url, 'http://localhost:5173');
    assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:5173');
  });

  it('an actual request echoes only an allowlisted origin', async () => {
    const allowed = await post(t.url, { query: '{ me { id } }' }, { origin: ALLOWED });
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
    assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
    const foreign = await post(t.url, { query: '{ me { id } }' }, { origin: 'https://evil.example' });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    assert.equal(foreign.headers.get('access-control-allow-credentials'), null);
  });

  it('with CORS_ORIGINS empty no origin is echoed, not even the server\'s own address', async () => {
    const closed = await startTestApp();
    try {
      const response = await preflight(closed.url, closed.url);
      assert.equal(response.headers.get('access-control-allow-origin'), null);
      const foreign = await preflight(closed.url, ALLOWED);
      assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    } finally {
      await closed.close();
    }
  });
});
