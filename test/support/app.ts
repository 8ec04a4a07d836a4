import { createApp, type App, type AppDeps } from '../../src/app';
import { createArgon2Hasher, FAST_TEST_ARGON2ID } from '../../src/auth/password';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { ManualClock } from './clock';

export const TEST_SECRET = 'a3f1c9e27b5d4806f2a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b1d3';

export interface TestApp {
  app: App;
  url: string;
  clock: ManualClock;
  config: Config;
  close(): Promise<void>;
}

/**
 * A fresh app for one test: its own :memory: database, a free port, a manual clock, a fast
 * argon2id. Environment overrides use the contract's variable names.
 */
export async function startTestApp(env: Record<string, string> = {}, deps: AppDeps = {}): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: ':memory:',
    KEYCARD_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const clock = deps.clock instanceof ManualClock ? deps.clock : new ManualClock();
  const app = await createApp(config, {
    clock,
    hasher: createArgon2Hasher(FAST_TEST_ARGON2ID),
    logger: createLogger(config.logLevel),
    // A :memory: database cannot be given a key beforehand: production tests get one here too.
    createFirstSigningKey: true,
    ...deps,
  });
  const { url } = await app.listen();
  return { app, url, clock, config, close: () => app.close() };
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
