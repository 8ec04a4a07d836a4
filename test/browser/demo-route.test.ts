import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app';

describe('the /demo route', () => {
  let dev: TestApp;
  beforeEach(async () => {
    dev = await startTestApp({ NODE_ENV: 'development' });
  });
  afterEach(() => dev.close());

  it('serves the page in development under a CSP that allows only its own origin', async () => {
    const response = await fetch(`${dev.url}/demo`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await response.text();
    assert.match(html, /<script type="module" src="\/demo\/app\.js"><\/script>/);
    assert.doesNotMatch(html, /<script>|<style>| on\w+=/i, 'nothing inline for the CSP to block');
  });

  it('serves the SDK bundled for the browser at /demo/app.js: no Node built-ins, cookie mode, the CSRF header', async () => {
    const response = await fetch(`${dev.url}/demo/app.js`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/javascript/);
    const script = await response.text();
    assert.match(script, /x-csrf-token/);
    assert.match(script, /mode: "cookie"/);
    assert.doesNotMatch(script, /require\("(node:)?(fs|http|crypto)"\)/);
  });

  it('refuses other methods than GET and HEAD', async () => {
    const response = await fetch(`${dev.url}/demo`, { method: 'POST', body: '' });
    assert.equal(response.status, 405);
  });

  it('is not served in production', async () => {
    const prod = await startTestApp({ NODE_ENV: 'production' });
    try {
      for (const path of ['/demo', '/demo/app.js']) {
        const response = await fetch(`${prod.url}${path}`);
        assert.equal(response.status, 404, path);
      }
    } finally {
      await prod.close();
    }
  });
});
