import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config';
import { describeDatabase, openStorage } from '../../../src/storage/storage';
import { onlyOn } from '../../support/dialect';

const configFor = (url: string) => loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'silent' });

it('the start-up line names the resolved database: the absolute SQLite file, PostgreSQL host, port and database without credentials', () => {
  assert.equal(describeDatabase(configFor('file:data/x.db')), `SQLite file ${path.resolve('data/x.db')}`);
  assert.equal(describeDatabase(configFor(':memory:')), 'SQLite in memory (nothing is kept after exit)');
  const described = describeDatabase(configFor('postgres://keycard:s3cret-pass@db.internal:6543/keycard_prod'));
  assert.equal(described, 'PostgreSQL database keycard_prod on db.internal:6543');
  assert.doesNotMatch(described, /s3cret|keycard:/);
});

// SQLite by nature: DATABASE_URL names a file on this machine.
onlyOn('sqlite')('DATABASE_URL naming a SQLite file', () => {
  it('a path through a file is refused in one plain line naming DATABASE_URL (not EEXIST ... mkdir)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-path-'));
    try {
      fs.writeFileSync(path.join(dir, 'plain-file'), '');
      for (const url of [`file:${path.join(dir, 'plain-file', 'keycard.db')}`, `file:${path.join(dir, 'plain-file', 'deeper', 'keycard.db')}`, `file:${dir}`]) {
        await assert.rejects(openStorage(configFor(url)), (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.equal(error.variable, 'DATABASE_URL');
          assert.match(error.message, /^DATABASE_URL names the SQLite file ".+", which cannot be used: /);
          assert.doesNotMatch(error.message, /\n|EEXIST|ENOTDIR|mkdir/);
          return true;
        });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing folder is created, and said (the app logs it)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-path-'));
    const created: string[] = [];
    try {
      const storage = await openStorage(configFor(`file:${path.join(dir, 'new', 'keycard.db')}`), { onCreatedFolder: (folder) => created.push(folder) });
      await storage.close();
      assert.deepEqual(created, [path.join(dir, 'new')]);
      const again = await openStorage(configFor(`file:${path.join(dir, 'new', 'keycard.db')}`), { onCreatedFolder: (folder) => created.push(folder) });
      await again.close();
      assert.equal(created.length, 1, 'an existing folder is not reported');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
