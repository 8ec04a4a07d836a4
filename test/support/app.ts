import path from 'node:path';
import pino from 'pino';
import { createApp, type App, type AppDeps } from '../../src/app';
import { DEFAULT_QUERY_COMPILATION } from '../../src/http/compiled-queries';
import { createArgon2Hasher, FAST_TEST_ARGON2ID } from '../../src/accounts/password';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { ManualClock } from './clock';
import { TEST_DIALECT } from './dialect';
import { createMigratedTestDatabase, rememberTestDatabaseUrl, type TestDatabase } from './postgres';

/**
 * KEYCARD_TEST_LOG_DIR (npm run test:logscan): every test app logs everything (trace) to a file of
 * its process there, and scripts/scan-test-logs.mjs then looks for credentials in all of them.
 */
const LOG_DIR = process.env.KEYCARD_TEST_LOG_DIR;
function suiteLogger(level: string) {
  if (!LOG_DIR) return createLogger(level);
  return createLogger('trace', pino.destination({ dest: path.join(LOG_DIR, `${process.pid}.log`), append: true, sync: true, mkdir: true }));
}

export const TEST_SECRET = 'a3f1c9e27b5d4806f2a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b1d3';

export interface TestApp {
  app: App;
  url: string;
  clock: ManualClock;
  config: Config;
  /** `http://127.0.0.1:<port>/metrics` when METRICS_PORT is set (use '0' for a free port), else null. */
  metricsUrl: string | null;
  close(): Promise<void>;
}

/**
 * A fresh app for one test: its own database (SQLite :memory:, or under TEST_DATABASE=postgres a
 * new PostgreSQL database dropped when the app closes), a free port, a manual clock, a fast
 * argon2id. Environment overrides use the contract's variable names; a test that passes its own
 * DATABASE_URL keeps it.
 */
export async function startTestApp(env: Record<string, string> = {}, deps: AppDeps = {}): Promise<TestApp> {
  // An injected storage has a database of its own already.
  const database: TestDatabase | undefined =
    env.DATABASE_URL === undefined && deps.storage === undefined && TEST_DIALECT === 'postgres' ? await createMigratedTestDatabase() : undefined;
  try {
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database?.url ?? ':memory:',
      KEYCARD_SECRET: TEST_SECRET,
      LOG_LEVEL: 'silent',
      // A test that leaves a request hanging should not wait the production bound to close.
      SHUTDOWN_TIMEOUT: '1s',
      ...env,
    });
    const clock = deps.clock instanceof ManualClock ? deps.clock : new ManualClock();
    const app = await createApp(config, {
      clock,
      hasher: createArgon2Hasher(FAST_TEST_ARGON2ID),
      logger: suiteLogger(config.logLevel),
      // A :memory: database cannot be given a key beforehand: production tests get one here too.
      createFirstSigningKey: true,
      // Every query compiled from its first use: the suite's queries run through graphql-jit, as
      // a production server's repeated ones do (graphql-js runs the first use there; its answers
      // are held equal to graphql-jit's by test/schema/compiled-queries.test.ts).
      queryCompilation: { ...DEFAULT_QUERY_COMPILATION, afterUses: 0 },
      ...deps,
    });
    // The inspector (test/support/storage-inspector.ts) reads a PostgreSQL app's database by its URL.
    if (config.databaseDialect === 'postgres' && deps.storage === undefined) rememberTestDatabaseUrl(app.storage, config.databaseUrl);
    let url: string;
    let metricsUrl: string | null;
    try {
      ({ url, metricsUrl } = await app.listen());
    } catch (error) {
      await app.close();
      throw error;
    }
    const close = async () => {
      try {
        await app.close();
      } finally {
        await database?.drop();
      }
    };
    return { app, url, clock, config, metricsUrl, close };
  } catch (error) {
    await database?.drop();
    throw error;
  }
}

/**
 * Runs `test` against its own fresh app (see startTestApp) and always closes the app, whether
 * the test passes or throws: for a test whose app differs from its neighbours' or that is the
 * only one in its describe needing an app.
 */
export async function withTestApp<T>(env: Record<string, string>, test: (t: TestApp) => Promise<T>, deps: AppDeps = {}): Promise<T> {
  const t = await startTestApp(env, deps);
  try {
    return await test(t);
  } finally {
    await t.close();
  }
}
