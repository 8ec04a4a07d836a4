import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NoSigningKeyError } from '../../src/keys/key-set';
import { startTestApp, TEST_SECRET } from '../support/app';
import { createCliWorkspace } from '../cli/run-cli';
import { runMainUntilListening } from '../support/run-main';

/** Runs the server until it prints its listening line (then stops it) or exits by itself. */
const startServer = (env: Record<string, string>, cwd: string) => runMainUntilListening({ env, cwd });

describe('production start-up without a signing key', () => {
  it('createApp in production on an empty key table refuses with NoSigningKeyError and creates nothing', async () => {
    await assert.rejects(startTestApp({ NODE_ENV: 'production' }, { createFirstSigningKey: false }), NoSigningKeyError);
  });

  it('the server exits 1 with one line saying to run keys:rotate; after keys:rotate it starts', async () => {
    const cli = await createCliWorkspace();
    const env = { NODE_ENV: 'production', KEYCARD_SECRET: TEST_SECRET, DATABASE_URL: cli.databaseUrl, PORT: '0', LOG_LEVEL: 'silent' };
    try {
      const refused = await startServer(env, cli.directory);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, 'keycard: no signing key in the database: create the first one with `npm run cli -- keys:rotate` (in production the server never creates keys at start-up)\n');

      const rotated = await cli.run(['keys:rotate'], { env: { NODE_ENV: 'production' } });
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(rotated.stdout, /^published \S+ \(ES256\); it signs from now\n$/);

      const started = await startServer(env, cli.directory);
      assert.match(started.stdout, /listening on http:\/\/127\.0\.0\.1:\d+\/graphql \(production\)/);
      assert.equal(started.stderr, '');
    } finally {
      await cli.remove();
    }
  });

  it('outside production the first key is still created at start-up', async () => {
    const t = await startTestApp({ NODE_ENV: 'development' }, { createFirstSigningKey: undefined });
    try {
      assert.equal(t.app.keySet.jwks().keys.length, 1);
    } finally {
      await t.close();
    }
  });
});
