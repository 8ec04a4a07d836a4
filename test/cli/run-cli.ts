import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_SECRET, startTestApp, type TestApp } from '../support/app';
import { ManualClock } from '../support/clock';
import { TEST_DIALECT } from '../support/dialect';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { tablesAt } from '../support/storage-inspector';

/** The compiled CLI beside this compiled test: <outDir>/test/cli -> <outDir>/src/cli/main.js. */
export const CLI_MAIN = path.resolve(__dirname, '..', '..', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A temporary directory with its own database (a SQLite file in it, or under
 * TEST_DATABASE=postgres a new PostgreSQL database); the CLI runs there as a child process
 * (cwd included, so no stray .env is read) with only the environment given here.
 */
export interface CliWorkspace {
  readonly directory: string;
  /** The DATABASE_URL of this workspace's database. */
  readonly databaseUrl: string;
  readonly env: Record<string, string>;
  /**
   * Whether anything was created in the database: the SQLite file exists, or the PostgreSQL
   * database (created empty) has tables. A command that must "open nothing" leaves it false.
   */
  databaseTouched(): Promise<boolean>;
  run(args: readonly string[], options?: { stdin?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** A Keycard server on the same database, its clock at the real time of the CLI. */
  startApp(clock?: ManualClock, env?: Record<string, string>): Promise<TestApp>;
  /**
   * What a server's first start leaves in a new database: the schema and one active signing
   * key, sealed with this workspace's KEYCARD_SECRET. Returns the key's kid.
   */
  storeFirstSigningKey(): Promise<string>;
  /** Deletes the directory (and drops the PostgreSQL database). */
  remove(): Promise<void>;
}

export async function createCliWorkspace(): Promise<CliWorkspace> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-cli-'));
  const databaseFile = path.join(directory, 'k.db');
  const database: TestDatabase | undefined = TEST_DIALECT === 'postgres' ? await createTestDatabase() : undefined;
  const databaseUrl = database?.url ?? `file:${databaseFile}`;
  const env = { DATABASE_URL: databaseUrl, KEYCARD_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
  const startApp = (clock = new ManualClock(Date.now()), env: Record<string, string> = {}) => startTestApp({ DATABASE_URL: databaseUrl, ...env }, { clock });
  return {
    directory,
    databaseUrl,
    env,
    async databaseTouched() {
      return database ? (await tablesAt(databaseUrl)).length > 0 : fs.existsSync(databaseFile);
    },
    run(args, options = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI_MAIN, ...args], {
          cwd: directory,
          env: { PATH: process.env.PATH ?? '', ...env, ...options.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        // A command that never reads stdin may exit before this write lands.
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.stdin ?? '');
      });
    },
    startApp,
    async storeFirstSigningKey() {
      const t = await startApp();
      try {
        return t.app.keySet.signingKey().kid;
      } finally {
        await t.close();
      }
    },
    async remove() {
      fs.rmSync(directory, { recursive: true, force: true });
      await database?.drop();
    },
  };
}
