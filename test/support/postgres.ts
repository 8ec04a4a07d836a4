import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { after, before } from 'node:test';
import pg from 'pg';
import { openPostgresStorage, type PostgresStorage, type PostgresStorageOptions } from '../../src/storage/postgres/storage';
import { REPO_ROOT } from './paths';

/**
 * A real PostgreSQL server for a test file, never a mock:
 *
 * - TEST_POSTGRES_URL when set (a superuser's, or a role with CREATEDB), as the test scripts set
 *   it: `scripts/with-postgres.mjs` starts one server for the whole run and exports its URL,
 *   and every test file's process uses it.
 * - Otherwise (a test file run on its own) this process starts a server of its own with
 *   scripts/postgres-server.mjs, the same way, and that server stops when this process ends:
 *   its stdin is a pipe from this process, whose end it waits for.
 *
 * Each test file works in databases of its own, `kc_<random>`, created empty and dropped after.
 */

let server: Promise<string> | undefined;

function startPrivateServer(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'postgres-server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout! });
    child.once('exit', (code) => reject(new Error(`the test PostgreSQL server did not start (exit ${code})`)));
    lines.once('line', (line) => {
      lines.close();
      // Neither the server nor the pipes keep this process alive; the pipe closes when it exits.
      child.unref();
      (child.stdin as unknown as { unref(): void }).unref();
      (child.stdout as unknown as { unref(): void }).unref();
      child.removeAllListeners('exit');
      resolve((JSON.parse(line) as { url: string }).url);
    });
  });
}

/** The URL of the server the tests use (a maintenance database on it). */
export function postgresServerUrl(): Promise<string> {
  server ??= process.env.TEST_POSTGRES_URL ? Promise.resolve(process.env.TEST_POSTGRES_URL) : startPrivateServer();
  return server;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: await postgresServerUrl() });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `kc_${crypto.randomBytes(8).toString('hex')}`;
  await withAdmin(async (client) => {
    // Parallel test files create databases at once; PostgreSQL may refuse one while another
    // copies the template (55006, object in use): try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  });
  const url = new URL(await postgresServerUrl());
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdmin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}

/**
 * One database for the tests of the enclosing describe (or file): created before the first,
 * dropped after the last. Read `.url` inside tests and hooks.
 */
export function useTestDatabase(): { readonly url: string; readonly name: string } {
  let database: TestDatabase | undefined;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database?.drop();
  });
  return {
    get url() {
      if (!database) throw new Error('the test database is created in a before hook: read its url inside a test');
      return database.url;
    },
    get name() {
      if (!database) throw new Error('the test database is created in a before hook: read its name inside a test');
      return database.name;
    },
  };
}

/**
 * Opens storage on a database, remembers it, and closes everything it opened when `closeAll`
 * runs (an afterEach). Small pools: many storages share the test server's connections.
 */
export function storageOpener() {
  const opened: PostgresStorage[] = [];
  return {
    async open(url: string, options: Partial<PostgresStorageOptions> = {}): Promise<PostgresStorage> {
      const storage = await openPostgresStorage({ url, pool: { max: 4 }, ...options });
      opened.push(storage);
      return storage;
    },
    async closeAll(): Promise<void> {
      await Promise.all(opened.splice(0).map((storage) => storage.close()));
    },
  };
}

/** Runs SQL on a database as the test server's user, outside any storage (to look or to interfere). */
export async function sqlOn<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns how long it took, or throws. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Where each storage opened by openTestPostgresStorage lives: the inspector reads it from here. */
const testDatabaseUrls = new WeakMap<object, string>();

export function testDatabaseUrlOf(storage: object): string | undefined {
  return testDatabaseUrls.get(storage);
}

/**
 * PostgreSQL storage on a fresh database of its own, as openTestStorage gives SQLite on
 * :memory:: close() also drops the database. A small pool: many storages share the server.
 */
export async function openTestPostgresStorage(options: Partial<PostgresStorageOptions> = {}): Promise<PostgresStorage> {
  const database = await createTestDatabase();
  let storage: PostgresStorage;
  try {
    storage = await openPostgresStorage({ url: database.url, pool: { max: 4 }, ...options });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const close = async () => {
    await storage.close();
    await database.drop();
  };
  const wrapped: PostgresStorage = Object.freeze({ ...storage, dialect: storage.dialect, close, ping: () => storage.ping(), diagnostics: () => storage.diagnostics() });
  testDatabaseUrls.set(wrapped, database.url);
  return wrapped;
}
