import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEST_DIALECT } from '../support/dialect';
import { CreateApiTokenDocument, LoginDocument, LogoutDocument, MeDocument, RefreshDocument, RevokeApiTokenDocument, UsersDocument } from '../../src/client/generated/graphql';
import { hashRefreshToken } from '../../src/tokens/refresh-token';
import { TEST_SECRET } from '../support/app';
import { assertErrorCode, call, login, PASSWORD, signup, uniqueEmail } from '../support/graphql';
import { createTestDatabase, eventually, sqlOn, type TestDatabase } from '../support/postgres';
import { decodeSegment } from '../support/tokens';

/**
 * Three real server processes (A, B, C) on one PostgreSQL database, as a deployment behind a
 * load balancer runs them: what one instance writes must hold on the others (refresh rotation
 * and reuse detection, logout, role changes by the CLI, rate limits, key rotation), and a
 * SIGKILLed instance must lose no rotation it acknowledged.
 */

const MAIN = path.resolve(__dirname, '..', '..', 'src', 'main.js');
const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli', 'main.js');
const GRACE_MS = 1000;

interface Instance {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
}

function baseEnv(databaseUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    KEYCARD_SECRET: TEST_SECRET,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
  };
}

function startInstance(name: string, databaseUrl: string, overrides: Record<string, string> = {}): Promise<Instance> {
  const child = spawn(process.execPath, [MAIN], {
    // dist/: no .env there to change the environment under test.
    cwd: path.resolve(__dirname, '..', '..'),
    env: {
      ...baseEnv(databaseUrl),
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_POOL_MAX: '4',
      REFRESH_REUSE_GRACE: `${GRACE_MS}ms`,
      KEYS_RELOAD_INTERVAL: '1s',
      LOGIN_LIMIT_PER_ACCOUNT: '5',
      // Every client here is 127.0.0.1: the per-IP limits would measure the test, not the product.
      LOGIN_LIMIT_PER_IP: '100000',
      SIGNUP_LIMIT_PER_IP: '100000',
      REFRESH_LIMIT_PER_IP: '100000',
      ...overrides,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Should this test process end without its after hook (a crash, a runner timeout), no server is left behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`instance ${name} did not start within 15 s: ${output}`));
    }, 15_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const url = /Keycard listening on (http:\/\/[^\s/]+)\/graphql/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ name, url, child, output: () => output });
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`instance ${name} exited (${code ?? signal}) before listening: ${output}`));
    });
  });
}

async function stopInstance(instance: Instance | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!instance) return;
  const { child } = instance;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

function runCli(databaseUrl: string, args: readonly string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: baseEnv(databaseUrl),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

async function cli(databaseUrl: string, args: readonly string[], stdin = ''): Promise<string> {
  const result = await runCli(databaseUrl, args, stdin);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const refresh = (instance: Instance, refreshToken: string) => call(instance.url, RefreshDocument, { refreshToken });
const me = (instance: Instance, accessToken: string) => call(instance.url, MeDocument, {}, { accessToken });
const kidOf = (accessToken: string) => decodeSegment(accessToken, 0).kid as string;

async function jwksKids(instance: Instance): Promise<string[]> {
  const response = await fetch(`${instance.url}/.well-known/jwks.json`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
}

/** Polls until `instance` refuses `accessToken` as revoked; returns the milliseconds it took. */
function refusedWithin(instance: Instance, accessToken: string, timeoutMs: number, what: string): Promise<number> {
  return eventually(
    async () => {
      const result = await me(instance, accessToken);
      if (result.errors === undefined) return false;
      assertErrorCode(result, 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
      return true;
    },
    timeoutMs,
    what,
  );
}

// PostgreSQL by nature (several processes on one database): registered on the PostgreSQL pass
// only, with the dialect in its name, like onlyOn() (which takes no describe options).
if (TEST_DIALECT === 'postgres') describe('[postgres only] three instances on one PostgreSQL database', { timeout: 90_000 }, () => {
  let database: TestDatabase | undefined;
  let A: Instance;
  let B: Instance;
  let C: Instance;
  const started: Instance[] = [];
  const latencies: Record<string, number> = {};

  before(async () => {
    database = await createTestDatabase();
    // Production never creates a signing key at start-up: the operator's keys:rotate does.
    await cli(database.url, ['keys:rotate']);
    const url = database.url;
    const results = await Promise.allSettled(['A', 'B', 'C'].map((name) => startInstance(name, url)));
    for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    [A, B, C] = started as [Instance, Instance, Instance];
  });

  after(async () => {
    await Promise.all(started.map((instance) => stopInstance(instance)));
    await database?.drop();
    if (Object.keys(latencies).length > 0) console.log(`multi-instance latencies (ms): ${JSON.stringify(latencies)}`);
  });

  it('reuse of a rotated refresh token on C, past the grace window, revokes the family on A and B too', async () => {
    const email = uniqueEmail('reuse');
    await signup(A.url, { email });
    const first = await login(A.url, email);
    const r1 = first.refreshToken;

    const rotated = await refresh(B, r1);
    assert.equal(rotated.errors, undefined, JSON.stringify(rotated.errors));
    const r2 = rotated.data!.refresh.refreshToken!;
    const access2 = rotated.data!.refresh.accessToken;
    // B has checked (and cached) the session of access2 as live.
    assert.equal((await me(B, access2)).errors, undefined);

    await sleep(GRACE_MS + 300);
    assertErrorCode(await refresh(C, r1), 'INVALID_REFRESH_TOKEN', { reason: 'REUSED' });
    assertErrorCode(await refresh(A, r2), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    latencies.reuseRevocationSeenByB = await refusedWithin(B, access2, 1000, 'B refuses the access token of the revoked family');
  });

  it('simultaneous refreshes of one token on A and B both succeed with the same successor', async () => {
    const { refreshToken: r1, user } = await signup(A.url);
    const [a, b] = await Promise.all([refresh(A, r1), refresh(B, r1)]);
    assert.equal(a.errors, undefined, JSON.stringify(a.errors));
    assert.equal(b.errors, undefined, JSON.stringify(b.errors));
    assert.equal(a.data!.refresh.refreshToken, b.data!.refresh.refreshToken);
    for (const [instance, result] of [[C, a], [C, b]] as const) {
      assert.equal((await me(instance, result.data!.refresh.accessToken)).errors, undefined, 'both access tokens work');
    }
    const tokens = await sqlOn<{ session_id: string; rotated_at: Date | null }>(
      database!.url,
      'SELECT t.session_id, t.rotated_at FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE s.user_id = $1',
      [user.id],
    );
    assert.equal(new Set(tokens.map((t) => t.session_id)).size, 1, 'one family');
    assert.equal(tokens.filter((t) => t.rotated_at === null).length, 1, 'exactly one live token');
    const next = await refresh(C, a.data!.refresh.refreshToken!);
    assert.equal(next.errors, undefined, 'the successor refreshes');
  });

  it('a logout on A is seen by B within 1 s', async () => {
    const { accessToken, refreshToken } = await signup(A.url);
    assert.equal((await me(B, accessToken)).errors, undefined, 'B caches the live session');
    const result = await call(A.url, LogoutDocument, { refreshToken }, { accessToken });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const ms = await refusedWithin(B, accessToken, 1000, 'B refuses the logged-out access token');
    latencies.logoutSeenByB = ms;
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it('an API token revoked on A is refused by B within 1 s, B having cached it as live', async () => {
    const { accessToken } = await signup(A.url);
    const created = await call(A.url, CreateApiTokenDocument, { name: 'multi', scopes: ['read:profile'], expiresIn: null }, { accessToken });
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const { token, apiToken } = created.data!.createApiToken;
    assert.equal((await me(B, token)).errors, undefined, 'B caches the live token');
    assert.equal((await me(B, token)).errors, undefined);
    const revoked = await call(A.url, RevokeApiTokenDocument, { id: apiToken.id }, { accessToken });
    assert.equal(revoked.data?.revokeApiToken, true);
    const ms = await refusedWithin(B, token, 1000, 'B refuses the revoked API token');
    latencies.apiTokenRevocationSeenByB = ms;
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it('a role change by the CLI is seen by A, B and C within 1 s', async () => {
    const email = uniqueEmail('admin');
    // A second ADMIN, so the demotion is never of the last active one.
    await Promise.all(
      [email, uniqueEmail('admin')].map((address) => cli(database!.url, ['user:create', '--email', address, '--role', 'ADMIN', '--password-stdin'], `${PASSWORD}\n`)),
    );
    const { accessToken } = await login(B.url, email);
    const users = (instance: Instance) => call(instance.url, UsersDocument, { first: 1 }, { accessToken });
    for (const instance of [A, B, C]) {
      const result = await users(instance);
      assert.equal(result.errors, undefined, `${instance.name}: ${JSON.stringify(result.errors)}`);
      assert.ok(result.data!.users.totalCount >= 2);
    }

    const output = await cli(database!.url, ['user:set-role', '--email', email, '--role', 'USER']);
    assert.match(output, /is now USER/);
    const seen = await Promise.all(
      [A, B, C].map((instance) =>
        eventually(
          async () => {
            const result = await users(instance);
            if (result.errors === undefined) return false;
            assertErrorCode(result, 'FORBIDDEN');
            return true;
          },
          1000,
          `${instance.name} forbids the demoted token`,
        ),
      ),
    );
    latencies.roleChangeSeenByABC = Math.max(...seen);
    assert.ok(Math.max(...seen) < 1000, JSON.stringify(seen));
  });

  it('failed logins spread over A, B and C share the per-account limit', async () => {
    const email = uniqueEmail('limited');
    await signup(A.url, { email });
    const instances = [A, B, C];
    for (let attempt = 0; attempt < 5; attempt++) {
      const instance = instances[attempt % 3]!;
      assertErrorCode(await call(instance.url, LoginDocument, { input: { email, password: 'wrong password, attempt' } }), 'INVALID_CREDENTIALS');
    }
    // The 6th lands on C, and any further one wherever it lands.
    for (const instance of [C, A, B]) {
      const result = await call(instance.url, LoginDocument, { input: { email, password: 'wrong password, attempt' } });
      assertErrorCode(result, 'RATE_LIMITED');
      const retryAfter = result.errors![0]!.extensions?.retryAfter;
      assert.ok(typeof retryAfter === 'number' && retryAfter > 0, `${instance.name}: retryAfter ${String(retryAfter)}`);
    }
  });

  it('a burst of failed logins at once over A, B and C lets exactly the per-account limit through', async () => {
    const email = uniqueEmail('burst');
    await signup(A.url, { email });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, index) => call([A, B, C][index % 3]!.url, LoginDocument, { input: { email, password: 'wrong password, burst' } })),
    );
    const codes = results.map((result) => result.errors?.[0]?.extensions?.code);
    assert.equal(codes.filter((code) => code === 'INVALID_CREDENTIALS').length, 5, JSON.stringify(codes));
    assert.equal(codes.filter((code) => code === 'RATE_LIMITED').length, 7, JSON.stringify(codes));
  });

  it('a key rotation by the CLI reaches A, B and C within KEYS_RELOAD_INTERVAL', async () => {
    const { accessToken: before } = await signup(A.url);
    const oldKid = kidOf(before);
    const output = await cli(database!.url, ['keys:rotate', '--activate-in', '0']);
    const newKid = /published (\S+)/.exec(output)?.[1];
    assert.ok(newKid && newKid !== oldKid, output);

    const seen = await Promise.all([A, B, C].map((instance) => eventually(async () => (await jwksKids(instance)).includes(newKid), 2000, `${instance.name} publishes ${newKid}`)));
    latencies.keyRotationInJwksOfABC = Math.max(...seen);
    // KEYS_RELOAD_INTERVAL=1s, plus the reload's own read.
    assert.ok(Math.max(...seen) < 1500, JSON.stringify(seen));

    // Every instance signs with the new key and accepts every other's tokens.
    for (const signer of [A, B, C]) {
      const { accessToken } = await signup(signer.url);
      assert.equal(kidOf(accessToken), newKid, `${signer.name} signs with the new key`);
      for (const verifier of [A, B, C]) {
        const result = await me(verifier, accessToken);
        assert.equal(result.errors, undefined, `${signer.name}'s token on ${verifier.name}: ${JSON.stringify(result.errors)}`);
      }
    }
    assert.equal((await me(C, before)).errors, undefined, 'a token of the previous key still verifies');
  });

  it('a token of a key activated at once on A is accepted on first sight by an instance whose next timed reload is an hour away', async () => {
    const D = await startInstance('D', database!.url, { KEYS_RELOAD_INTERVAL: '1h' });
    started.push(D);
    const output = await cli(database!.url, ['keys:rotate', '--activate-in', '0']);
    const newKid = /published (\S+)/.exec(output)?.[1];
    assert.ok(newKid, output);
    // A re-reads every second; D would not for an hour.
    let accessToken = '';
    await eventually(async () => {
      accessToken = (await signup(A.url)).accessToken;
      return kidOf(accessToken) === newKid;
    }, 3000, 'A signs with the new key');
    assert.ok(!(await jwksKids(D)).includes(newKid), 'D has not re-read the keys on its timer');
    const result = await me(D, accessToken);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.ok((await jwksKids(D)).includes(newKid), 'the unknown kid made D re-read the keys');
  });

  it('kill -9 of B during a refresh storm loses no acknowledged rotation', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => signup(A.url)));
    const acknowledged = clients.map((client) => client.refreshToken);
    const counts = clients.map(() => 0);
    /** Clients whose request was under way when B died: their last rotation may be committed, never answered. */
    let unanswered = 0;
    // Bounded: the storm ends when B dies, or at this deadline should the kill never come.
    const deadline = Date.now() + 4000;
    let killed = false;
    const storm = clients.map(async (_, index) => {
      while (Date.now() < deadline) {
        let result;
        try {
          result = await refresh(B, acknowledged[index]!);
        } catch {
          unanswered++;
          return; // B is gone: this answer never came
        }
        if (result.errors !== undefined) {
          // Only a dying B may fail a request; a live B must never refuse an acknowledged token.
          assert.ok(killed, `client ${index} refused by a live B: ${JSON.stringify(result.errors)}`);
          return;
        }
        acknowledged[index] = result.data!.refresh.refreshToken!;
        counts[index]!++;
      }
    });
    // Mid-storm: once every client has had a few rotations acknowledged (or after 2 s on a slow machine).
    await eventually(() => counts.every((count) => count >= 3), 2000, 'every client rotates on B').catch(() => undefined);
    killed = true;
    await stopInstance(B, 'SIGKILL');
    const killedAt = Date.now();
    await Promise.all(storm);
    assert.ok(
      counts.every((count) => count > 0),
      `every client got at least one rotation acknowledged before the kill: ${counts}`,
    );

    // At once, within the grace window: a rotation B committed but never answered gives the acknowledged
    // token's holder that same successor (past the window it would be reuse, by design).
    const survivors = await Promise.all(acknowledged.map((token, index) => refresh(index % 2 === 0 ? A : C, token)));
    const afterKillMs = Date.now() - killedAt;
    survivors.forEach((result, index) => assert.equal(result.errors, undefined, `client ${index} (${afterKillMs} ms after the kill): ${JSON.stringify(result.errors)}`));
    // Diagnostics (it depends on timing): acknowledged tokens B had rotated in a commit whose answer never left it.
    const rotatedUnanswered = await sqlOn<{ n: number }>(database!.url, 'SELECT count(*)::int AS n FROM refresh_tokens WHERE token_hash = ANY($1) AND rotated_at <= $2', [
      acknowledged.map(hashRefreshToken),
      new Date(killedAt),
    ]);
    for (const [index, result] of survivors.entries()) {
      const next = await refresh(index % 2 === 0 ? C : A, result.data!.refresh.refreshToken!);
      assert.equal(next.errors, undefined, `client ${index} goes on: ${JSON.stringify(next.errors)}`);
    }
    latencies.stormRotationsPerClient = Math.min(...counts);
    latencies.stormRequestsCutByKill = unanswered;
    latencies.stormCommittedUnanswered = rotatedUnanswered[0]!.n;
    latencies.stormSurvivorsRefreshedAfterKill = afterKillMs;
  });
});
