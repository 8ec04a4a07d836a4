import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LoginDocument, MeDocument, RefreshDocument } from '../../src/client/generated/graphql';
import { NO_METRICS } from '../../src/metrics';
import { withTestApp } from '../support/app';
import { onlyOn, TEST_DIALECT } from '../support/dialect';
import { REPO_ROOT } from '../support/paths';
import { assertErrorCode, call, PASSWORD, signup } from '../support/graphql';

/** The value of one sample line, e.g. sample(text, 'keycard_logins_total{result="success"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return response.text();
}

describe('metrics (METRICS_PORT)', () => {
  it('count logins, refreshes, reuse and rate limits by outcome, time GraphQL requests, and no label carries an email, a token or an IP', async () => {
    // TRUST_PROXY: the client IP comes from X-Forwarded-For, so the test can choose a distinctive one.
    await withTestApp({ METRICS_PORT: '0', TRUST_PROXY: '1', LOGIN_LIMIT_PER_ACCOUNT: '3' }, async (t) => {
      assert.ok(t.metricsUrl);
      const marker = crypto.randomBytes(6).toString('hex');
      const email = `pii-${marker}@metrics.example`;
      const ip = '203.0.113.199';
      const headers = { 'x-forwarded-for': ip };
      const seen: string[] = [email, ip, PASSWORD];

      const signedUp = await signup(t.url, { email });
      seen.push(signedUp.accessToken, signedUp.refreshToken);
      const ok = await call(t.url, LoginDocument, { input: { email, password: PASSWORD } }, { headers });
      assert.equal(ok.errors, undefined);
      seen.push(ok.data!.login.accessToken, ok.data!.login.refreshToken!);
      for (let i = 0; i < 3; i++) assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: `wrong-${marker}` } }, { headers }), 'INVALID_CREDENTIALS');
      assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: PASSWORD } }, { headers }), 'RATE_LIMITED');

      const first = ok.data!.login.refreshToken!;
      const rotated = await call(t.url, RefreshDocument, { refreshToken: first }, { headers });
      assert.equal(rotated.errors, undefined);
      seen.push(rotated.data!.refresh.refreshToken!, rotated.data!.refresh.accessToken);
      t.clock.advance(60_000); // past REFRESH_REUSE_GRACE: the old token again is theft
      assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: first }, { headers }), 'INVALID_REFRESH_TOKEN', { reason: 'REUSED' });
      assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: `kcr_${marker}` }, { headers }), 'INVALID_REFRESH_TOKEN');
      await call(t.url, MeDocument, {}, { headers: { ...headers, authorization: `Bearer ${signedUp.accessToken}` } });

      const text = await scrape(t.metricsUrl);
      assert.equal(sample(text, 'keycard_logins_total{result="success"}'), 1);
      assert.equal(sample(text, 'keycard_logins_total{result="invalid_credentials"}'), 3);
      assert.equal(sample(text, 'keycard_logins_total{result="rate_limited"}'), 1);
      assert.equal(sample(text, 'keycard_token_refreshes_total{result="success"}'), 1);
      assert.equal(sample(text, 'keycard_token_refreshes_total{result="invalid_refresh_token"}'), 2);
      assert.equal(sample(text, 'keycard_refresh_token_reuse_total'), 1);
      assert.equal(sample(text, 'keycard_rate_limited_total{limit="LOGIN_ACCOUNT"}'), 1);
      // Labelled by the root field (a schema name), never by the client's operation name.
      assert.equal(sample(text, 'keycard_graphql_request_duration_seconds_count{operation_type="mutation",root_field="login",status="200"}'), 5);
      assert.equal(sample(text, 'keycard_graphql_request_duration_seconds_count{operation_type="mutation",root_field="refresh",status="200"}'), 3);
      assert.equal(sample(text, 'keycard_graphql_request_duration_seconds_count{operation_type="query",root_field="me",status="200"}'), 1);
      assert.doesNotMatch(text, /="(Login|Refresh|Me)"/, 'operation names are not labels');
      // The default process metrics.
      assert.ok(sample(text, 'process_cpu_user_seconds_total')! >= 0);
      assert.match(text, /^nodejs_heap_size_used_bytes \d/m);

      // Every series the example dashboard queries exists (the pool's only on PostgreSQL).
      const dashboard = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'grafana-dashboard.json'), 'utf8');
      const queried = new Set(dashboard.match(/\b(keycard|process|nodejs)_[a-z0-9_]+/g));
      for (const name of queried) {
        if (name.startsWith('keycard_db_pool') && TEST_DIALECT === 'sqlite') continue;
        assert.match(text, new RegExp(`^${name}[{ ]`, 'm'), `the dashboard's ${name}`);
      }

      for (const value of seen) assert.ok(!text.includes(value), `the scrape contains ${value.slice(0, 12)}…`);
      assert.ok(!text.includes(marker), 'nothing of the email, the wrong passwords or the forged token');
    });
  });

  it('are served on METRICS_PORT only: the API port answers 404 for /metrics', async () => {
    await withTestApp({ METRICS_PORT: '0' }, async (t) => {
      assert.ok(t.metricsUrl);
      assert.notEqual(new URL(t.metricsUrl).port, new URL(t.url).port);
      const onApi = await fetch(`${t.url}/metrics`);
      assert.equal(onApi.status, 404);
      assert.doesNotMatch(await onApi.text(), /keycard_|process_/);
      assert.equal((await fetch(new URL('/graphql', t.metricsUrl))).status, 404, 'and the metrics port serves nothing else');
    });
  });

  it('are off without METRICS_PORT: nothing listens for them and the services count nothing', async () => {
    await withTestApp({}, async (t) => {
      assert.equal(t.metricsUrl, null);
      assert.equal(t.app.metrics, NO_METRICS);
    });
  });

  it('each app has a registry of its own: two apps in one process do not add up', async () => {
    await withTestApp({ METRICS_PORT: '0' }, async (a) => {
      await withTestApp({ METRICS_PORT: '0' }, async (b) => {
        await signup(a.url).then((s) => call(a.url, RefreshDocument, { refreshToken: s.refreshToken }));
        assert.equal(sample(await scrape(a.metricsUrl!), 'keycard_token_refreshes_total{result="success"}'), 1);
        assert.equal(sample(await scrape(b.metricsUrl!), 'keycard_token_refreshes_total{result="success"}'), undefined);
      });
    });
  });
});

onlyOn('postgres')('metrics of the PostgreSQL pool', () => {
  it('show the pool connections: open, idle and waiting', async () => {
    await withTestApp({ METRICS_PORT: '0', DATABASE_POOL_MAX: '4' }, async (t) => {
      await signup(t.url);
      const text = await scrape(t.metricsUrl!);
      const total = sample(text, 'keycard_db_pool_connections');
      const idle = sample(text, 'keycard_db_pool_idle_connections');
      assert.ok(total !== undefined && total >= 1 && total <= 4, `open connections: ${total}`);
      assert.ok(idle !== undefined && idle <= total, `idle: ${idle}`);
      assert.equal(sample(text, 'keycard_db_pool_waiting_requests'), 0);
    });
  });
});

// SQLite has one connection and no pool: nothing to show.
onlyOn('sqlite')('metrics on SQLite', () => {
  it('have no pool figures', async () => {
    await withTestApp({ METRICS_PORT: '0' }, async (t) => {
      assert.doesNotMatch(await scrape(t.metricsUrl!), /keycard_db_pool/);
    });
  });
});
