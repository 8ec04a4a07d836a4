import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { MeDocument } from '../../src/client/generated/graphql';
import { startTestApp } from '../support/app';
import { assertErrorCode, call, post } from '../support/graphql';

/** A raw request, so that the header can be larger than fetch would send. */
function rawRequest(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('oversized and malformed Authorization headers over HTTP', () => {
  it('a 100 KB bearer token is refused by the HTTP layer with 431, never a 500, and the server keeps serving', async () => {
    const t = await startTestApp();
    try {
      const answer = await rawRequest(t.url, { authorization: `Bearer ${'A'.repeat(100 * 1024)}` }, JSON.stringify({ query: '{ me { id } }' }));
      assert.equal(answer.status, 431);
      assert.doesNotMatch(answer.text, /\bat \S+ \(|stack/i);
      const after = await post(t.url, { query: '{ me { id } }' });
      assert.equal(after.status, 200);
      assert.deepEqual(after.data, { me: null });
    } finally {
      await t.close();
    }
  });

  it('an 8 KB token, two or four segments, or bad base64 runs anonymously: me answers UNAUTHENTICATED with reason TOKEN_INVALID', async () => {
    const t = await startTestApp();
    try {
      const tokens = ['A'.repeat(8 * 1024), 'a.b', 'a.b.c.d', '!!!.@@@.###', `${'e30'}.${'A'.repeat(4000)}.sig`];
      for (const accessToken of tokens) {
        const result = await call(t.url, MeDocument, {}, { accessToken });
        assertErrorCode(result, 'UNAUTHENTICATED', { reason: 'TOKEN_INVALID' });
      }
      const wrongScheme = await post(t.url, { query: '{ me { id } }' }, { authorization: 'Basic dXNlcjpwYXNz' });
      assert.equal(wrongScheme.status, 200);
      assert.equal(wrongScheme.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    } finally {
      await t.close();
    }
  });
});
