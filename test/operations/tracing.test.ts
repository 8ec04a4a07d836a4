import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';

const MAIN = path.resolve(__dirname, '..', '..', 'src', 'main.js');
const REPORT_MODULES = path.resolve(__dirname, '..', 'support', 'report-loaded-modules.js');

/** A stand-in OpenTelemetry collector: keeps every OTLP/HTTP request it receives. */
async function startCollector() {
  const received: Array<{ path: string; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Runs the server (dist/src/main.js, as npm start does, in development: it makes its own
 * signing key on :memory:), lets `work` talk to it, then SIGTERM; returns the packages it loaded.
 */
async function runServer(env: Record<string, string>, work: (url: string) => Promise<void>): Promise<{ packages: string[]; code: number | null; stdout: string }> {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-modules-')), 'modules.txt');
  const child = spawn(process.execPath, ['--require', REPORT_MODULES, MAIN], {
    cwd: path.dirname(report),
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', DATABASE_URL: ':memory:', PORT: '0', LOG_LEVEL: 'silent', REPORT_LOADED_MODULES: report, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stderr}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)\/graphql/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => reject(new Error(`the server exited: ${stderr}`)));
  });
  try {
    await work(url);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await exited;
  const packages = fs.readFileSync(report, 'utf8').split('\n');
  fs.rmSync(path.dirname(report), { recursive: true, force: true });
  return { packages, code, stdout };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

function spansOf(bodies: string[]): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const body of bodies) {
    const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
    for (const resource of parsed.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
  }
  return spans;
}

describe('tracing (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('exports the HTTP and GraphQL spans of a request to the collector, without the literal password', async () => {
    const collector = await startCollector();
    try {
      const secret = 'literal-password-in-the-document';
      const { code, stdout, packages } = await runServer({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'keycard-under-test' }, async (url) => {
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: `mutation TracedLogin { login(input: { email: "nobody@example.com", password: "${secret}" }) { accessToken } }` }),
        });
        assert.equal(response.status, 200);
        await response.text();
        // A query used again is traced again: with tracing on, graphql-js executes every use
        // (a compiled query would have no execute or resolver span).
        for (let i = 0; i < 3; i++) {
          const query = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query TracedMe { me { id } }' }) });
          assert.equal(query.status, 200);
          await query.text();
        }
      });
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`Tracing: exporting spans to ${collector.url}`));
      assert.ok(packages.includes('@opentelemetry/instrumentation-graphql'), 'the SDK was loaded');

      const traces = collector.received.filter((request) => request.path === '/v1/traces');
      assert.ok(traces.length > 0, `spans arrived: ${collector.received.map((r) => r.path).join(', ')}`);
      const bodies = traces.map((request) => request.body);
      const spans = spansOf(bodies);
      const server = spans.find((span) => span.kind === 2 && /^POST/.test(span.name));
      assert.ok(server, `an HTTP server span: ${spans.map((s) => s.name).join(', ')}`);
      // The GraphQL spans are children in the request's trace: the instrumentation saw graphql
      // load after the SDK started (start-up work, e.g. Apollo's schema checks, has traces of its own).
      const inRequest = spans.filter((span) => span.traceId === server.traceId).map((span) => span.name);
      for (const name of ['graphql.parse', 'graphql.validate', 'mutation TracedLogin', 'graphql.resolve login']) {
        assert.ok(inRequest.includes(name), `${name} in the request's trace: ${inRequest.join(', ')}`);
      }
      assert.equal(spans.filter((span) => span.name === 'query TracedMe').length, 3, 'an execute span for each use of the query');
      assert.match(bodies.join(''), /keycard-under-test/, 'the service name');
      assert.ok(!bodies.join('').includes(secret), 'literal arguments are not recorded');
    } finally {
      await collector.close();
    }
  });

  it('is off by default: nothing of OpenTelemetry (or, without METRICS_PORT, of prom-client) is loaded', async () => {
    const { code, packages } = await runServer({}, async (url) => {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
    });
    assert.equal(code, 0);
    assert.ok(packages.includes('graphql'), `the report lists what was loaded: ${packages.join(', ')}`);
    assert.deepEqual(
      packages.filter((name) => name.startsWith('@opentelemetry/') || name === 'prom-client'),
      [],
    );
  });
});
