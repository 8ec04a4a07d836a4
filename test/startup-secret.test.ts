import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { TEST_SECRET } from './support/app';
import { createSharedTestDatabase, type SharedTestDatabase } from './support/shared-database';

/** The compiled server beside this compiled test: <outDir>/test -> <outDir>/src/main.js. */
const MAIN = path.resolve(__dirname, '..', 'src', 'main.js');

describe('starting production on a database sealed by `npm run dev`', () => {
  let directory: string;
  let database: SharedTestDatabase;

  before(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-secret-'));
    database = await createSharedTestDatabase();
    // What `npm run dev` does on its first start: no KEYCARD_SECRET, so the first signing key
    // is sealed with the development secret.
    const app = await createApp(loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' }));
    await app.close();
  });
  after(async () => {
    fs.rmSync(directory, { recursive: true, force: true });
    await database.remove();
  });

  it('exits 1 with one line that says what is wrong and what to do', () => {
    // `npm start` with a real secret on that database (cwd is a temporary directory: no stray .env).
    const result = spawnSync(process.execPath, [MAIN], {
      cwd: directory,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', KEYCARD_SECRET: TEST_SECRET, DATABASE_URL: database.url, PORT: '0', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
    assert.match(
      result.stderr,
      /^keycard: signing key \S+ cannot be decrypted: KEYCARD_SECRET is not the secret it was stored with; start with that secret, or give this run a database file of its own \(e\.g\. DATABASE_URL=file:data\/keycard-prod\.db\)\. A database first started by `npm run dev` without KEYCARD_SECRET is sealed with the development secret, which production refuses\.\n$/,
    );
  });
});
