import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/config';
import { startTestApp, withTestApp } from '../support/app';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function request(url: string, ca: Buffer | undefined, init: { method?: string; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? 'GET', ca, headers: init.body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('native HTTPS', () => {
  // The certificate, its key and a file that is no key are made once (openssl is slow) and only
  // read afterwards; each test that needs a server starts its own on them.
  let dir: string;
  let cert: Buffer;
  let tlsEnv: Record<string, string>;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = fs.readFileSync(path.join(dir, 'cert.pem'));
    fs.writeFileSync(path.join(dir, 'other.pem'), 'not a key');
    tlsEnv = { TLS_CERT_FILE: path.join(dir, 'cert.pem'), TLS_KEY_FILE: path.join(dir, 'key.pem') };
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with the configured certificate, and the app reports an https URL', () =>
    withTestApp(tlsEnv, async (t) => {
      assert.match(t.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await request(`${t.url}/healthz`, cert);
      assert.equal(answer.status, 200);
      assert.deepEqual(JSON.parse(answer.body), { status: 'ok' });
    }));

  it('GraphQL works over TLS, and every HTTPS response carries HSTS', () =>
    withTestApp(tlsEnv, async (t) => {
      const graphql = await request(`${t.url}/graphql`, cert, { method: 'POST', body: '{"query":"{ __typename }"}' });
      assert.deepEqual(JSON.parse(graphql.body), { data: { __typename: 'Query' } });
      for (const answer of [graphql, await request(`${t.url}/healthz`, cert), await request(`${t.url}/nope`, cert)]) {
        assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
      }
    }));

  it('a client that does not trust the certificate cannot connect', () =>
    withTestApp(tlsEnv, async (t) => {
      await assert.rejects(request(`${t.url}/healthz`, undefined), /self-signed|certificate|unable to verify/i);
    }));

  it('an unreadable certificate, or a key that does not match it, stops start-up naming the variable', async () => {
    await assert.rejects(
      startTestApp({ TLS_CERT_FILE: path.join(dir, 'missing.pem'), TLS_KEY_FILE: path.join(dir, 'key.pem') }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'TLS_CERT_FILE' && !error.message.includes('\n'),
    );
    await assert.rejects(
      startTestApp({ TLS_CERT_FILE: path.join(dir, 'cert.pem'), TLS_KEY_FILE: path.join(dir, 'other.pem') }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'TLS_KEY_FILE',
    );
  });
});
