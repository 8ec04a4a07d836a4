import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createCliWorkspace } from './cli/run-cli';
import { runMainUntilListening } from './support/run-main';

const STRONG = 'a3f1c9e27b5d4806f2a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b1d3';

/** What `npm run dev` / `npm start` print on stdout up to the listening line (then SIGTERM). */
async function startupOutput(env: Record<string, string>): Promise<string> {
  // dist/: no .env there to change the environment under test.
  const { stdout, stderr } = await runMainUntilListening({ env: { PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'silent', ...env }, cwd: path.resolve(__dirname, '..') });
  if (/listening on/.test(stdout)) return stdout;
  throw new Error(`the server did not start: ${stderr || stdout}`);
}

describe('start-up output', () => {
  it('in development, prints the demo page URL next to the listening line', async () => {
    const stdout = await startupOutput({ NODE_ENV: 'development' });
    const url = /Keycard listening on (http:\/\/[^\s/]+)\/graphql \(development\)/.exec(stdout)?.[1];
    assert.ok(url, stdout);
    assert.ok(stdout.includes(`Demo page (the client SDK in cookie mode): open ${url}/demo in a browser\n`), stdout);
    assert.ok(stdout.includes('Database (DATABASE_URL): SQLite in memory (nothing is kept after exit)\n'), stdout);
  });

  it('in production, where the demo is not served, does not', async () => {
    // Production never creates a signing key at start-up: the operator's keys:rotate does.
    const cli = await createCliWorkspace();
    const env = { NODE_ENV: 'production', KEYCARD_SECRET: STRONG, DATABASE_URL: cli.databaseUrl };
    let stdout = '';
    try {
      const rotated = await cli.run(['keys:rotate'], { env });
      assert.equal(rotated.code, 0, rotated.stderr);
      stdout = await startupOutput(env);
    } finally {
      await cli.remove();
    }
    assert.match(stdout, /Keycard listening on http:\/\/\S+\/graphql \(production\)/);
    assert.doesNotMatch(stdout, /\/demo/);
  });
});
