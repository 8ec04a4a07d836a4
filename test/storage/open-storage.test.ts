import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/config';
import { openStorage, STORAGE_ADAPTERS, type Storage, type StorageOptions } from '../../src/storage/storage';
import { createTestDatabase } from '../support/postgres';
import { tablesAt } from '../support/storage-inspector';
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

  it('opens PostgreSQL for a postgres:// URL, migrated, and ping() answers', async () => {
    const database = await createTestDatabase();
    try {
      const storage = await openStorage(configFor(database.url));
      try {
        assert.equal(storage.dialect, 'postgres');
        assert.equal(await storage.ping(), true);
        assert.deepEqual((await tablesAt(database.url)).filter((name) => !name.startsWith('_')).sort(), ['api_tokens', 'audit_events', 'device_authorizations', 'identities', 'oauth_states', 'one_time_tokens', 'rate_limits', 'refresh_tokens', 'sessions', 'signing_keys', 'users']);
      } finally {
        await storage.close();
      }
    } finally {
      await database.drop();
    }
  });

  it('an unreachable PostgreSQL stops the open with one line that carries no password', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgres://keycard:s3cret-pass@127.0.0.1:1/keycard', DATABASE_CONNECT_TIMEOUT: '1s', LOG_LEVEL: 'silent' });
    await assert.rejects(openStorage(config), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.doesNotMatch(error.message, /s3cret-pass/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
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
