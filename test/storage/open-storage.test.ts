import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApp } from '../../src/app';
import { ConfigError, loadConfig, type Config } from '../../src/config';
import { openStorage, STORAGE_ADAPTERS, type Storage, type StorageOptions } from '../../src/storage/storage';
import { openTestStorage } from '../support/storage';

const POSTGRES_URL = 'postgres://keycard@db.internal/keycard';
const configFor = (url: string) => loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'silent' });

describe('openStorage', () => {
  it('opens the adapter that DATABASE_URL names: SQLite for file: and :memory:', async () => {
    const storage = await openStorage(configFor(':memory:'));
    try {
      assert.equal(storage.dialect, 'sqlite');
      assert.equal(await storage.ping(), true);
    } finally {
      await storage.close();
    }
  });

  it('refuses a PostgreSQL URL with one clear line naming DATABASE_URL, while its adapter is not built', async () => {
    assert.equal(STORAGE_ADAPTERS.postgres, undefined, 'when the adapter lands, this test goes');
    const refusal = (error: unknown) => error instanceof ConfigError && error.variable === 'DATABASE_URL' && /^DATABASE_URL: PostgreSQL support is not built yet/.test(error.message) && !error.message.includes('\n');
    await assert.rejects(openStorage(configFor(POSTGRES_URL)), refusal);
    await assert.rejects(createApp(configFor(POSTGRES_URL)), refusal);
  });

  it('takes its adapters from an injectable map: a PostgreSQL opener plugs in there, and is handed the config and options', async () => {
    const config = configFor(POSTGRES_URL);
    const calls: Array<[Config, StorageOptions]> = [];
    const stand = await openTestStorage();
    const opened: Storage = { ...stand, dialect: 'postgres' };
    const onMigrated = () => undefined;
    const storage = await openStorage(config, {
      onMigrated,
      adapters: {
        ...STORAGE_ADAPTERS,
        postgres: async (given, options) => {
          calls.push([given, options]);
          return opened;
        },
      },
    });
    try {
      assert.equal(storage, opened);
      assert.deepEqual(calls, [[config, { onMigrated }]]);
    } finally {
      await storage.close();
    }
  });
});
