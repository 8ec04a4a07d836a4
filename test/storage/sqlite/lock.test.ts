import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { print } from 'graphql';
import { MeDocument, RefreshDocument } from '../../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../../support/app';
import { onlyOn } from '../../support/dialect';
import { call, post, signup } from '../../support/graphql';

/**
 * Another process holds SQLite's write lock (BEGIN IMMEDIATE) for `holdMs`: what the CLI's
 * `tokens:prune` or a backup does to a running server. Resolves once the lock is held.
 */
async function holdWriteLock(databaseFile: string, holdMs: number): Promise<{ released: Promise<void>; child: ChildProcess }> {
  const script = `
    const Database = require(process.argv[1]);
    const db = new Database(process.argv[2]);
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); }, Number(process.argv[3]));`;
  const child = spawn(process.execPath, ['-e', script, require.resolve('better-sqlite3'), databaseFile, String(holdMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const released = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 && output.includes('released') ? resolve() : reject(new Error(`lock holder exited ${code}`))));
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('locked')) resolve();
    });
    child.on('error', reject);
    released.catch(reject);
  });
  return { released, child };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

const refreshBody = (refreshToken: string) => ({ query: print(RefreshDocument), variables: { refreshToken } });

// SQLite by nature: one file, one writer at a time. PostgreSQL locks rows, and its driver waits
// asynchronously, so no lock there can stall the event loop.
onlyOn('sqlite')('a write lock held by another connection', () => {
  let dir: string;
  let t: TestApp;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-lock-'));
    t = await startTestApp({ DATABASE_URL: `file:${path.join(dir, 'keycard.db')}` });
  });
  after(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('never stalls the event loop: /healthz and reads answer at once, a write answers SERVICE_UNAVAILABLE (503, retryAfter) after the bounded wait, once, and works after the release', async () => {
    const user = await signup(t.url);
    const lock = await holdWriteLock(path.join(dir, 'keycard.db'), 4_000);
    try {
      const refresh = timed(() => post(t.url, refreshBody(user.refreshToken)));

      // The loop stays free: each answer in a few milliseconds (with the old 5 s busy timeout
      // the first request after the refresh waited for the lock inside SQLite).
      for (let i = 0; i < 5; i++) {
        const health = await timed(() => fetch(`${t.url}/healthz`));
        assert.equal(health.value.status, 200);
        assert.ok(health.ms < 300, `/healthz took ${Math.round(health.ms)} ms while the lock was held`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const me = await timed(() => call(t.url, MeDocument, {}, { headers: { authorization: `Bearer ${user.accessToken}` } }));
      assert.equal(me.value.errors, undefined, JSON.stringify(me.value.errors));
      assert.equal(me.value.data!.me!.id, user.user.id);
      assert.ok(me.ms < 300, `a read took ${Math.round(me.ms)} ms`);
      const ready = await fetch(`${t.url}/readyz`);
      assert.equal(ready.status, 503, '/readyz while writes cannot go through');

      const { value: answer, ms } = await refresh;
      assert.equal(answer.status, 503);
      assert.equal(answer.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE', answer.text);
      assert.equal(answer.errors?.[0]?.extensions?.retryAfter, 2);
      assert.equal(answer.headers.get('retry-after'), '2');
      // Bounded, and only once: the refresh's failure is not recorded (a second wait for the lock).
      assert.ok(ms >= 1_900 && ms < 3_500, `the refresh answered after ${Math.round(ms)} ms`);
    } finally {
      await lock.released;
    }
    // Nothing of the refused rotation was written: the same token rotates now.
    const again = await call(t.url, RefreshDocument, { refreshToken: user.refreshToken });
    assert.equal(again.errors, undefined, JSON.stringify(again.errors));
    assert.equal((await fetch(`${t.url}/readyz`)).status, 200);
  });

  it('writes that meet a short lock wait for it without blocking and all go through once it is released', async () => {
    const users = await Promise.all([signup(t.url), signup(t.url), signup(t.url)]);
    const lock = await holdWriteLock(path.join(dir, 'keycard.db'), 600);
    let turns = 0;
    const ticker = setInterval(() => turns++, 10);
    try {
      const answers = await Promise.all(users.map((user) => call(t.url, RefreshDocument, { refreshToken: user.refreshToken })));
      for (const answer of answers) assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    } finally {
      clearInterval(ticker);
      await lock.released;
    }
    // A 10 ms timer kept firing while the writes waited (a synchronous wait would starve it).
    assert.ok(turns >= 20, `only ${turns} timer turns while the writes waited ~600 ms`);
  });
});
