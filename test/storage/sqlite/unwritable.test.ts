import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { print } from 'graphql';
import { SignupDocument } from '../../../src/client/generated/graphql';
import { openSqliteStorage, sqliteHandleOf } from '../../../src/storage/sqlite/storage';
import { startTestApp, TEST_SECRET } from '../../support/app';
import { onlyOn } from '../../support/dialect';
import { PASSWORD, post, uniqueEmail } from '../../support/graphql';
import { MAIN, runMainUntilListening } from '../../support/run-main';

/** nobody: file permissions bind it (this suite runs as root, which they do not bind). */
const NOBODY = 65534;

/** The server as `uid`; if it starts (the bug), it is stopped and the assertions say what was expected. */
const runMainAs = (uid: number, env: Record<string, string>) =>
  runMainUntilListening({ env: { PORT: '0', LOG_LEVEL: 'silent', NODE_ENV: 'test', KEYCARD_SECRET: TEST_SECRET, ...env }, cwd: path.dirname(MAIN), uid });

const signupBody = () => ({ query: print(SignupDocument), variables: { input: { email: uniqueEmail('full'), password: PASSWORD } } });

// SQLite by nature: a database file, its permissions, its page limit.
onlyOn('sqlite')('a database that cannot be written', () => {
  it('is refused at start with one line naming DATABASE_URL (a read-only file, as a user file permissions bind)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-readonly-'));
    const file = path.join(dir, 'keycard.db');
    try {
      // A database that worked: migrated, with its signing key (so nothing else stops the start).
      const t = await startTestApp({ DATABASE_URL: `file:${file}` });
      await t.close();
      // nobody may create the -wal and -shm files beside it, but not write the database itself.
      fs.chownSync(dir, NOBODY, NOBODY);
      fs.chmodSync(file, 0o444);
      const run = await runMainAs(NOBODY, { DATABASE_URL: `file:${file}` });
      assert.doesNotMatch(run.stdout, /listening on/, 'the server started on a read-only database');
      assert.equal(run.code, 1);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0]!, /^keycard: DATABASE_URL names the SQLite file ".*keycard\.db", which cannot be used: it cannot be written \(SQLITE_READONLY/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a full database answers SERVICE_UNAVAILABLE and /readyz 503, and heals without a restart once there is room (simulated with max_page_count)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-full-'));
    const storage = await openSqliteStorage(path.join(dir, 'keycard.db'), { readinessIntervalMs: 1_000 });
    const t = await startTestApp({ SIGNUP_LIMIT_PER_IP: '100000' }, { storage });
    try {
      const { sqlite } = sqliteHandleOf(storage);
      // The file may not grow past its current size: as a full disk, writes that need a new page fail.
      sqlite.pragma(`max_page_count = ${sqlite.pragma('page_count', { simple: true }) as number}`);
      let refused: Awaited<ReturnType<typeof post>> | undefined;
      for (let i = 0; i < 500 && !refused; i++) {
        const answer = await post(t.url, signupBody());
        if (answer.errors) refused = answer;
      }
      assert.ok(refused, 'the database never filled up');
      assert.equal(refused.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE', refused.text);
      assert.equal(refused.status, 503);
      assert.equal((await fetch(`${t.url}/readyz`)).status, 503, '/readyz right after a write the file could not take');

      sqlite.pragma('max_page_count = 1073741823');
      const healed = await post(t.url, signupBody());
      assert.equal(healed.errors, undefined, healed.text);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      assert.equal((await fetch(`${t.url}/readyz`)).status, 200);
    } finally {
      await t.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
