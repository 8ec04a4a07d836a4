import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import jwt from 'jsonwebtoken';
import { createApp } from '../src/app';
import { defaultHashConcurrency } from '../src/accounts/password';
import { loadConfig } from '../src/config';
import { PRODUCTION_ENV, PRODUCTION_NODE_FLAGS } from '../src/node-flags';
import { createLogger } from '../src/logger';
import { CONNECTIONS, measure, measureInterleaved, median, runLoad, summarize, type LoadResult, type Scenario } from './load';
import { startServer, type ServerProcess } from './processes';
import { createDatabase, dropDatabase } from './references/postgres-database';

/**
 * npm run bench: Keycard's production build against references built from the same packages,
 * side by side in one run (../shared/docs/performance.md). Loopback only, bounded in time.
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const PLAIN = path.join(__dirname, 'references', 'plain-apollo.js');
const BARE = path.join(__dirname, 'references', 'bare.js');
const NAIVE_SECRET = 'tutorial-secret';
const UV_THREADPOOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const SCENARIOS = ['me', 'apitoken', 'list', 'refresh', 'login'] as const;
/** BENCH_ONLY=list,refresh runs a subset while working on one path; the report says which ran. */
const ONLY = new Set((process.env.BENCH_ONLY ?? SCENARIOS.join(',')).split(',').map((name) => name.trim()));
for (const name of ONLY) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`BENCH_ONLY: unknown scenario "${name}" (${SCENARIOS.join(', ')})`);
const runs = (name: (typeof SCENARIOS)[number]) => ONLY.has(name);
/** BENCH_DB=postgres runs every server on one PostgreSQL database instead of an SQLite file. */
const DIALECTS = ['sqlite', 'postgres'] as const;
type Dialect = (typeof DIALECTS)[number];
const DB = (process.env.BENCH_DB ?? 'sqlite').trim().toLowerCase() as Dialect;
if (!DIALECTS.includes(DB)) throw new Error(`BENCH_DB: unknown database "${process.env.BENCH_DB}" (${DIALECTS.join(', ')})`);
/**
 * The goals that differ by database (the rest are the same on both). On SQLite, the embedded
 * default, they are those the PostgreSQL work had to keep (issue 12: "must not fall"): `me` at
 * least plain Apollo's rate and the list at 0.9 of it, above performance.md's general 0.90 and
 * 0.85. On PostgreSQL a rotation is a transaction over the network, and several instances share
 * the load: 1,000 per second on one. An API token's `me` is held to 0.90 on both.
 */
const GOALS: Record<Dialect, { meRatio: number; listRatio: number; refreshPerSecond: number }> = {
  sqlite: { meRatio: 1.0, listRatio: 0.9, refreshPerSecond: 2000 },
  postgres: { meRatio: 0.9, listRatio: 0.85, refreshPerSecond: 1000 },
};
const API_TOKEN_ME_RATIO = 0.9;

const ME_QUERY = JSON.stringify({ query: '{ me { id displayName } }' });
const ANON_QUERY = JSON.stringify({ query: '{ me { id } }' });
const LIST_QUERY = JSON.stringify({ query: '{ users(first: 100) { edges { node { id displayName createdAt email role } } } }' });
const PASSWORD = 'bench password that is long enough';

/** What the probe (probe.ts) answers: event-loop delay, the memory at the peak of RSS, GC pauses. */
interface ProbeReport {
  eventLoopDelayP99Ms: number;
  maxRssBytes: number;
  memoryAtMaxRss?: NodeJS.MemoryUsage;
  gc?: { count: number; ms: number; youngMs: number; fullMs: number };
}

/** One line per phase: whether the peak was the JavaScript heap or native memory, and the GC time. */
function describeMemory(phase: string, probe: ProbeReport) {
  const m = probe.memoryAtMaxRss;
  if (!m) return;
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  const gc = probe.gc ? `; GC ${probe.gc.ms.toFixed(0)} ms in ${probe.gc.count} pauses (young ${probe.gc.youngMs.toFixed(0)} ms, full ${probe.gc.fullMs.toFixed(0)} ms)` : '';
  console.log(`  memory at the peak of ${phase}: rss ${mb(m.rss)} MB = heap ${mb(m.heapTotal)} MB (used ${mb(m.heapUsed)}) + external ${mb(m.external)} MB + the rest (code, native) ${mb(m.rss - m.heapTotal - m.external)} MB${gc}`);
}

interface Row {
  scenario: string;
  server: string;
  result: LoadResult;
}

async function seed(databaseUrl: string, secret: string) {
  const config = loadConfig({ NODE_ENV: 'production', KEYCARD_SECRET: secret, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  // Seeding creates the first signing key, as `keys:rotate` does before a production start.
  const app = await createApp(config, { logger: createLogger('silent'), createFirstSigningKey: true });
  const origin = { ip: '127.0.0.1', userAgent: 'bench' };
  const admin = await app.services.accounts.createUser({ email: 'admin@bench.test', password: PASSWORD, role: 'ADMIN' }, origin, null);
  const user = await app.services.accounts.createUser({ email: 'user@bench.test', password: PASSWORD, role: 'USER' }, origin, null);
  for (let i = 0; i < 120; i++) {
    await app.services.accounts.createUser({ email: `member${i}@bench.test`, password: PASSWORD, role: 'USER', displayName: `Member ${i}` }, origin, null);
  }
  const adminLogin = await app.services.accounts.login({ email: 'admin@bench.test', password: PASSWORD }, origin, { cookie: false });
  const userLogin = await app.services.accounts.login({ email: 'user@bench.test', password: PASSWORD }, origin, { cookie: false });
  const refreshTokens: string[] = [];
  // Each run ends with a token in flight on every connection, lost with its unread answer: seed
  // enough sessions for the warm-up and every run.
  for (let i = 0; i < CONNECTIONS * (RUNS + 2) + 50; i++) {
    const { tokens } = await app.services.accounts.login({ email: 'user@bench.test', password: PASSWORD }, origin, { cookie: false });
    refreshTokens.push(tokens.refreshToken);
  }
  // The same `me` with a personal access token instead of a session's access token.
  const { token: userApiToken } = await app.services.apiTokens.create({ id: user.id, role: 'USER' }, { name: 'bench', scopes: ['read:profile'] }, origin, user.id);
  await app.close();
  return { adminId: admin.id, userId: user.id, adminToken: adminLogin.tokens.accessToken, userToken: userLogin.tokens.accessToken, userApiToken, refreshTokens };
}

function graphqlErrorCounter() {
  let failures = 0;
  return {
    count: () => failures,
    check: (status: number, body: string) => {
      if (status !== 200 || body.includes('"errors"')) failures++;
    },
  };
}

/** Each connection refreshes its own session's chain: the pool holds every live token. */
function refreshScenario(url: string, tokens: string[]): Scenario {
  const pool = [...tokens];
  const counter = graphqlErrorCounter();
  return {
    url: `${url}/graphql`,
    failures: counter.count,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const token = pool.shift() ?? 'kcr_pool_empty';
          return { ...request, body: JSON.stringify({ query: 'mutation($r: String) { refresh(refreshToken: $r) { accessToken refreshToken } }', variables: { r: token } }) };
        },
        onResponse: (status, body) => {
          counter.check(status, body);
          const match = /"refreshToken":"(kcr_[A-Za-z0-9_-]+)"/.exec(body);
          if (match?.[1]) pool.push(match[1]);
        },
      },
    ],
  };
}

function loginScenario(url: string): Scenario {
  const counter = graphqlErrorCounter();
  const body = JSON.stringify({ query: 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', variables: { i: { email: 'user@bench.test', password: PASSWORD } } });
  return {
    url: `${url}/graphql`,
    failures: counter.count,
    requests: [{ method: 'POST', body, onResponse: (status, text) => counter.check(status, text) }],
  };
}

/** Verifications per second with `inFlight` at once on the libuv pool, in a process of its own. */
function rawArgon2Rate(inFlight: number): number {
  const result = spawnSync(process.execPath, [path.join(__dirname, 'argon2-rate.js')], { env: { ...process.env, SECONDS: '5', IN_FLIGHT: String(inFlight) }, encoding: 'utf8' });
  return (JSON.parse(result.stdout) as { verifiesPerSecond: number }).verifiesPerSecond;
}

/** A database URL without its user:password@ part, for the console. */
const withoutCredentials = (url: string) => url.replace(/(:\/\/)[^/@\s]*@/, '$1…@');

interface BenchDatabase {
  /** DATABASE_URL for the seed and for Keycard. */
  url: string;
  /** What the title line and the report say ran. */
  description: { dialect: Dialect; version?: string; server: string };
  /** Environment of the references: where they read the same rows. */
  referenceEnv: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL server (scripts/postgres-server.mjs): it prints one JSON line with its
 * URL, and stops, deleting its directory, when its stdin (our pipe) closes, however we end.
 */
function startPostgresServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'postgres-server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    child.once('exit', (code) => reject(new Error(`the benchmark's PostgreSQL server did not start (exit ${code})`)));
    lines.once('line', (line) => {
      lines.close();
      child.removeAllListeners('exit');
      child.once('exit', () => {});
      resolve({
        url: (JSON.parse(line) as { url: string }).url,
        stop: async () => {
          child.stdin!.end();
          await exited;
        },
      });
    });
  });
}

/**
 * PostgreSQL: BENCH_POSTGRES_URL (or TEST_POSTGRES_URL), a role that may CREATE DATABASE, or a
 * server of our own; either way a fresh database for this run, dropped at the end.
 */
async function openPostgres(): Promise<BenchDatabase> {
  const given = process.env.BENCH_POSTGRES_URL || process.env.TEST_POSTGRES_URL;
  const server = given ? { url: given, stop: async () => {} } : await startPostgresServer();
  try {
    const name = `keycard_bench_${crypto.randomBytes(6).toString('hex')}`;
    const { url, version } = await createDatabase(server.url, name);
    const pool = loadConfig({ DATABASE_URL: url }).databasePool;
    return {
      url,
      description: { dialect: 'postgres', version, server: given ? (process.env.BENCH_POSTGRES_URL ? 'BENCH_POSTGRES_URL' : 'TEST_POSTGRES_URL') : 'scripts/postgres-server.mjs' },
      // The references' pools are as large as Keycard's (DATABASE_POOL_MAX, default 10).
      referenceEnv: { REFERENCE_POSTGRES_URL: url, REFERENCE_POOL_MAX: String(pool.max) },
      drop: async () => {
        try {
          await dropDatabase(server.url, name);
        } finally {
          await server.stop();
        }
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

function openSqlite(dir: string): BenchDatabase {
  const file = path.join(dir, 'bench.db');
  return {
    url: `file:${file}`,
    description: { dialect: 'sqlite', server: 'a file in os.tmpdir()' },
    referenceEnv: { BENCH_DB: file },
    drop: async () => {},
  };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-bench-'));
  const database = DB === 'postgres' ? await openPostgres() : openSqlite(dir);
  try {
    await benchmark(database);
  } finally {
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchmark(database: BenchDatabase) {
  const databaseUrl = database.url;
  const secret = crypto.randomBytes(32).toString('hex');
  console.log(`seeding ${withoutCredentials(databaseUrl)} ...`);
  const seeded = await seed(databaseUrl, secret);
  const naiveAdminToken = jwt.sign({ sub: seeded.adminId, role: 'ADMIN' }, NAIVE_SECRET, { expiresIn: '1h' });
  const rows: Row[] = [];
  const record = async (scenario: string, serverName: string, s: Scenario) => {
    process.stdout.write(`  ${scenario} / ${serverName} ... `);
    const result = await measure(s, DURATION, RUNS);
    console.log(`${Math.round(result.requestsPerSecond)} req/s, p99 ${result.latencyP99Ms} ms, failures ${result.failures}`);
    rows.push({ scenario, server: serverName, result });
    return result;
  };

  // Keycard as in production. Limits are raised so the load measures the work, not the limiter.
  const keycardEnv = {
    ...PRODUCTION_ENV,
    NODE_ENV: 'production',
    KEYCARD_SECRET: secret,
    DATABASE_URL: databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'warn',
    LOGIN_LIMIT_PER_ACCOUNT: '100000',
    LOGIN_LIMIT_PER_IP: '100000',
    SIGNUP_LIMIT_PER_IP: '100000',
    REFRESH_LIMIT_PER_IP: '100000',
  };
  const startTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const probe = await startServer(MAIN, keycardEnv, '/readyz', PRODUCTION_NODE_FLAGS);
    startTimes.push(probe.startedInMs);
    await probe.stop();
  }
  const startToReadyMs = startTimes.sort((a, b) => a - b)[1]!;

  const references: Record<string, ServerProcess> = {};
  const refEnv = { ...database.referenceEnv, BENCH_USER_ID: seeded.userId, NODE_ENV: 'production' };
  const servers: Array<[string, string, Record<string, string>]> = [
    ['bare node:http', BARE, {}],
    ['plain Apollo', PLAIN, { ...refEnv, REFERENCE_MODE: 'plain', CACHE_CONTROL: 'off' }],
    ['plain Apollo (default plugins)', PLAIN, { ...refEnv, REFERENCE_MODE: 'plain' }],
    ['naive auth', PLAIN, { ...refEnv, REFERENCE_MODE: 'naive' }],
  ];

  for (const [name, script, env] of servers) references[name] = await startServer(script, env);
  // As npm start runs it: with the production V8 flags. BENCH_CPU_PROF=<dir> also writes a
  // V8 CPU profile of the server under load there (open it in Chrome DevTools), for finding
  // what a request costs; figures from such a run are slower and not for the README.
  const profileFlags = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
  const keycard = await startServer(MAIN, keycardEnv, '/readyz', [...PRODUCTION_NODE_FLAGS, ...profileFlags]);
  const naiveHeaders = { authorization: `Bearer ${naiveAdminToken}` };
  const compare = async (scenario: string, scenarios: Record<string, Scenario>) => {
    console.log(`  ${scenario}: ${Object.keys(scenarios).join(', ')} in alternation ...`);
    const results = await measureInterleaved(scenarios, DURATION, RUNS);
    for (const [server, result] of Object.entries(results)) {
      console.log(`    ${server}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.latencyP99Ms} ms, failures ${result.failures}`);
      rows.push({ scenario, server, result });
    }
  };
  const at = (name: string) => `${references[name]!.url}/graphql`;

  await keycard.probe('probe:start');
  if (runs('me')) {
    await compare('me { id displayName }', {
      'bare node:http': { url: at('bare node:http'), body: ME_QUERY },
      'plain Apollo': { url: at('plain Apollo'), body: ME_QUERY },
      'naive auth': { url: at('naive auth'), body: ME_QUERY, headers: naiveHeaders },
      Keycard: { url: `${keycard.url}/graphql`, body: ME_QUERY, headers: { authorization: `Bearer ${seeded.userToken}` } },
    });
    await record('me { id } (anonymous)', 'Keycard', { url: `${keycard.url}/graphql`, body: ANON_QUERY });
  }
  if (runs('apitoken')) {
    await compare('API token `me`', {
      'plain Apollo': { url: at('plain Apollo'), body: ME_QUERY },
      Keycard: { url: `${keycard.url}/graphql`, body: ME_QUERY, headers: { authorization: `Bearer ${seeded.userApiToken}` } },
    });
  }
  if (runs('list')) {
    await compare('users(first: 100) x 5 fields', {
      'plain Apollo': { url: at('plain Apollo'), body: LIST_QUERY },
      'plain Apollo (default plugins)': { url: at('plain Apollo (default plugins)'), body: LIST_QUERY },
      'naive auth': { url: at('naive auth'), body: LIST_QUERY, headers: naiveHeaders },
      Keycard: { url: `${keycard.url}/graphql`, body: LIST_QUERY, headers: { authorization: `Bearer ${seeded.adminToken}` } },
    });
  }
  const loadProbe = await keycard.probe<ProbeReport>('probe:report');
  describeMemory('the me/list load', loadProbe);
  for (const server of Object.values(references)) await server.stop();

  let refresh: LoadResult | undefined;
  let refreshProbe: ProbeReport | undefined;
  if (runs('refresh')) {
    console.log('refresh rotation');
    await keycard.probe('probe:start');
    refresh = await record('refresh (rotation)', 'Keycard', refreshScenario(keycard.url, seeded.refreshTokens));
    refreshProbe = await keycard.probe<ProbeReport>('probe:report');
    describeMemory('the refresh load', refreshProbe);
  }

  let login: LoadResult | undefined;
  let rawRate = 0;
  let rawRateAtServerConcurrency = 0;
  let storm: (ProbeReport & { worstEventLoopDelayP99Ms: number }) | undefined;
  if (runs('login')) {
    console.log('login storm');
    // The pool's raw rate and the storm are measured in alternation, like compared servers: the
    // ratio of two figures taken minutes apart on this machine moved by 20%.
    const scenario = loginScenario(keycard.url);
    await runLoad(scenario, Math.min(2, DURATION));
    const rawRates: number[] = [];
    const rawRatesAtServerConcurrency: number[] = [];
    const storms: LoadResult[] = [];
    const probes: ProbeReport[] = [];
    for (let i = 0; i < RUNS; i++) {
      // The pool's ceiling: as many verifications in flight as it has threads (libuv: 4).
      rawRates.push(rawArgon2Rate(UV_THREADPOOL_SIZE));
      // A detail: the pool with as many in flight as the server allows itself (one per core).
      rawRatesAtServerConcurrency.push(rawArgon2Rate(defaultHashConcurrency()));
      // Probed per storm: the idle server during the raw measurement would dilute the delay.
      await keycard.probe('probe:start');
      storms.push(await runLoad(scenario, DURATION));
      const probe = await keycard.probe<ProbeReport>('probe:report');
      describeMemory(`login storm ${i + 1}`, probe);
      probes.push(probe);
    }
    // Delay as every figure here: the median of the runs (performance.md), the worst beside it;
    // memory: the run that held the most.
    const peak = probes.reduce((a, b) => (b.maxRssBytes > a.maxRssBytes ? b : a));
    storm = {
      eventLoopDelayP99Ms: median(probes.map((p) => p.eventLoopDelayP99Ms)),
      worstEventLoopDelayP99Ms: Math.max(...probes.map((p) => p.eventLoopDelayP99Ms)),
      maxRssBytes: peak.maxRssBytes,
      memoryAtMaxRss: peak.memoryAtMaxRss,
      gc: peak.gc,
    };
    rawRate = median(rawRates);
    rawRateAtServerConcurrency = median(rawRatesAtServerConcurrency);
    login = summarize(storms);
    console.log(`  login (argon2id) / Keycard: ${Math.round(login.requestsPerSecond)} req/s against a raw pool rate of ${rawRate.toFixed(1)}/s`);
    rows.push({ scenario: 'login (argon2id)', server: 'Keycard', result: login });
  }
  await keycard.stop();

  const rps = (scenario: string, server: string) => rows.find((r) => r.scenario === scenario && r.server === server)!.result.requestsPerSecond;
  const targets: Array<{ target: string; value: number; goal: string; met: boolean }> = [];
  const goals = GOALS[DB];
  if (runs('me')) {
    const meRatio = rps('me { id displayName }', 'Keycard') / rps('me { id displayName }', 'plain Apollo');
    targets.push({ target: 'authenticated me vs plain Apollo', value: meRatio, goal: `>= ${goals.meRatio.toFixed(2)}`, met: meRatio >= goals.meRatio });
  }
  if (runs('apitoken')) {
    const apiTokenRatio = rps('API token `me`', 'Keycard') / rps('API token `me`', 'plain Apollo');
    targets.push({ target: 'API token me vs plain Apollo', value: apiTokenRatio, goal: `>= ${API_TOKEN_ME_RATIO.toFixed(2)}`, met: apiTokenRatio >= API_TOKEN_ME_RATIO });
  }
  if (runs('list')) {
    const listRatio = rps('users(first: 100) x 5 fields', 'Keycard') / rps('users(first: 100) x 5 fields', 'plain Apollo');
    const naiveListRatio = rps('users(first: 100) x 5 fields', 'naive auth') / rps('users(first: 100) x 5 fields', 'plain Apollo');
    targets.push({ target: 'list with field rules vs plain Apollo', value: listRatio, goal: `>= ${goals.listRatio.toFixed(2)}`, met: listRatio >= goals.listRatio });
    targets.push({ target: '(naive shield list vs plain Apollo)', value: naiveListRatio, goal: 'reference', met: true });
  }
  if (refresh) targets.push({ target: 'refresh rotations per second', value: refresh.requestsPerSecond, goal: `>= ${goals.refreshPerSecond}`, met: refresh.requestsPerSecond >= goals.refreshPerSecond });
  if (login && storm) {
    const loginRatio = login.requestsPerSecond / rawRate;
    targets.push({ target: 'login vs raw argon2id pool rate', value: loginRatio, goal: '>= 0.90', met: loginRatio >= 0.9 });
    const atServerConcurrency = login.requestsPerSecond / rawRateAtServerConcurrency;
    targets.push({ target: `(login vs the pool with ${defaultHashConcurrency()} in flight, as the server runs it)`, value: atServerConcurrency, goal: 'detail', met: true });
    targets.push({ target: 'event-loop delay p99 in login storm (ms)', value: storm.eventLoopDelayP99Ms, goal: '<= 20', met: storm.eventLoopDelayP99Ms <= 20 });
    targets.push({ target: '(event-loop delay p99, worst storm run, ms)', value: storm.worstEventLoopDelayP99Ms, goal: 'detail', met: true });
  }
  const maxRssMb = Math.max(loadProbe.maxRssBytes, refreshProbe?.maxRssBytes ?? 0, storm?.maxRssBytes ?? 0) / 1024 / 1024;
  targets.push({ target: 'max RSS under 50 connections (MB)', value: maxRssMb, goal: '<= 150', met: maxRssMb <= 150 });
  targets.push({ target: '(max RSS during me/list load, MB)', value: loadProbe.maxRssBytes / 1024 / 1024, goal: 'detail', met: true });
  if (refreshProbe) targets.push({ target: '(max RSS during refresh load, MB)', value: refreshProbe.maxRssBytes / 1024 / 1024, goal: 'detail', met: true });
  if (storm) targets.push({ target: '(max RSS during the login storm, MB)', value: storm.maxRssBytes / 1024 / 1024, goal: 'detail', met: true });
  targets.push({ target: 'start to ready (ms)', value: startToReadyMs, goal: '<= 1500', met: startToReadyMs <= 1500 });

  const date = new Date().toISOString();
  const dbTitle = DB === 'postgres' ? `PostgreSQL ${database.description.version}` : 'SQLite';
  const lines = [
    `Keycard benchmark on ${dbTitle}, ${date}, ${os.cpus().length} cores, Node ${process.version}, autocannon -c 50, ${DURATION} s x ${RUNS} runs (median; compared servers measured in alternation)${ONLY.size < SCENARIOS.length ? `; only ${[...ONLY].join(', ')}` : ''}`,
    '',
    '| scenario | server | req/s | p99 ms | failures |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.scenario} | ${r.server} | ${Math.round(r.result.requestsPerSecond)} | ${r.result.latencyP99Ms} | ${r.result.failures} |`),
    '',
    ...(login ? [`raw argon2id verify rate of the pool: ${rawRate.toFixed(1)}/s with ${UV_THREADPOOL_SIZE} in flight, ${rawRateAtServerConcurrency.toFixed(1)}/s with ${defaultHashConcurrency()}`, ''] : []),
    '| target | value | goal | met |',
    '| --- | ---: | --- | --- |',
    ...targets.map((t) => `| ${t.target} | ${t.value.toFixed(2)} | ${t.goal} | ${t.met ? 'yes' : 'NO'} |`),
  ];
  console.log('\n' + lines.join('\n'));
  const out = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(out, { recursive: true });
  // A subset never replaces the full report the README quotes, nor a PostgreSQL run the SQLite one.
  const name = `${ONLY.size < SCENARIOS.length ? 'partial' : 'latest'}${DB === 'postgres' ? '-postgres' : ''}`;
  fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify({ date, database: database.description, only: [...ONLY], durationSeconds: DURATION, runs: RUNS, rows, rawArgon2Rate: rawRate, rawArgon2RateAtServerConcurrency: rawRateAtServerConcurrency, startToReadyMs, memoryAtMaxRss: { load: loadProbe.memoryAtMaxRss, refresh: refreshProbe?.memoryAtMaxRss, login: storm?.memoryAtMaxRss }, gc: { load: loadProbe.gc, refresh: refreshProbe?.gc, login: storm?.gc }, targets }, null, 2));
  fs.writeFileSync(path.join(out, `${name}.md`), lines.join('\n') + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), path.join(out, `${name}.json`))}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
