import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { after, before } from 'node:test';
import pg from 'pg';
import { POSTGRES_MIGRATIONS_FOLDER } from '../../src/storage/postgres/migrate';
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
  return createDatabaseFrom(null);
}

async function createDatabaseFrom(template: string | null): Promise<TestDatabase> {
  const name = `kc_${crypto.randomBytes(8).toString('hex')}`;
  // A copy of a small template: FILE_COPY is about twice as fast as the default WAL_LOG here.
  const from = template === null ? '' : ` TEMPLATE ${template} STRATEGY FILE_COPY`;
  await withAdmin(async (client) => {
    // Parallel test files create databases at once; PostgreSQL may refuse one while another
    // copies the template (55006, object in use): try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name}${from}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  });
  return { name, url: await databaseUrl(name), drop: () => withAdmin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))) };
}

async function databaseUrl(name: string): Promise<string> {
  const url = new URL(await postgresServerUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

let migratedTemplate: Promise<string> | undefined;

/**
 * The name of a database on the test server with every migration of drizzle/postgres/ applied
 * and nothing else, made once per server and migration set (its name carries their hash) and
 * kept there: a copy of it costs a fraction of an empty database plus the migrations, which
 * every app of the PostgreSQL pass would otherwise pay.
 */
function migratedTemplateName(): Promise<string> {
  migratedTemplate ??= (async () => {
    const hash = crypto.createHash('sha256');
    for (const file of fs.readdirSync(POSTGRES_MIGRATIONS_FOLDER, { recursive: true, encoding: 'utf8' }).sort()) {
      const full = path.join(POSTGRES_MIGRATIONS_FOLDER, file);
      if (fs.statSync(full).isFile()) hash.update(file).update(fs.readFileSync(full));
    }
    const name = `kc_template_${hash.digest('hex').slice(0, 16)}`;
    await withAdmin(async (client) => {
      // One test process makes it; the others wait for it (a lock of the whole server).
      await client.query('SELECT pg_advisory_lock(7265636)');
      try {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount) return;
        const building = await createTestDatabase();
        try {
          const storage = await openPostgresStorage({ url: building.url, pool: { max: 1 } });
          await storage.close();
          await client.query(`ALTER DATABASE ${building.name} RENAME TO ${name}`);
        } catch (error) {
          await building.drop();
          throw error;
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock(7265636)');
      }
    });
    return name;
  })();
  migratedTemplate.catch(() => (migratedTemplate = undefined));
  return migratedTemplate;
}

/**
 * A new database on the test server with the schema already migrated (a copy of the migrated
 * template), as an app or storage leaves an empty one on its first open: for tests that need a
 * fresh database, not an empty one (those use createTestDatabase).
 */
export async function createMigratedTestDatabase(): Promise<TestDatabase> {
  return createDatabaseFrom(await migratedTemplateName());
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

/** Tells the inspector where a storage opened elsewhere (an app's, by openStorage) lives. */
export function rememberTestDatabaseUrl(storage: object, url: string): void {
  testDatabaseUrls.set(storage, url);
}

/**
 * PostgreSQL storage on a fresh database of its own, as openTestStorage gives SQLite on
 * :memory:: close() also drops the database. A small pool: many storages share the server.
 */
export async function openTestPostgresStorage(options: Partial<PostgresStorageOptions> = {}): Promise<PostgresStorage> {
  const database = await createMigratedTestDatabase();
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
