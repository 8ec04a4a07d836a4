import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ACTIVATION_DELAY_MS } from '../../src/keys/key-set';
import { ManualClock, SECOND } from '../support/clock';
import { createCliWorkspace } from './run-cli';

describe('keys:rotate --activate-in 0 while an earlier rotation is pending', () => {
  it('signs with the newest key at once and after the older one was due, and says the pending key will never sign', async () => {
    const cli = await createCliWorkspace();
    const t = await cli.startApp();
    try {
      const first = t.app.keySet.signingKey().kid;
      const scheduled = await cli.run(['keys:rotate']);
      assert.equal(scheduled.code, 0, scheduled.stderr);
      const pending = /^published (\S+) /.exec(scheduled.stdout)?.[1] ?? assert.fail(scheduled.stdout);

      const immediate = await cli.run(['keys:rotate', '--activate-in', '0']);
      assert.equal(immediate.code, 0, immediate.stderr);
      const match = /^published (\S+) \(ES256\); it signs from now; (\S+) keeps verifying until \S+; (\S+), still pending, is superseded and will never sign\n$/.exec(immediate.stdout) ?? assert.fail(immediate.stdout);
      const [, newest, verifying, superseded] = match;
      assert.equal(verifying, first);
      assert.equal(superseded, pending);

      t.clock.set(Date.now() + SECOND); // the CLI ran on the real clock and prints whole seconds
      await t.app.keySet.reload();
      assert.equal(t.app.keySet.signingKey().kid, newest);
      t.clock.set(Date.now() + DEFAULT_ACTIVATION_DELAY_MS + SECOND);
      assert.equal(t.app.keySet.signingKey().kid, newest, 'the older rotation never takes over');
      const listed = await cli.run(['keys:list']);
      assert.match(listed.stdout, new RegExp(`^${pending}\\s+ES256\\s+retired\\s`, 'm'));
      assert.match(listed.stdout, new RegExp(`^${newest}\\s+ES256\\s+active\\s`, 'm'));
    } finally {
      await t.close();
      await cli.remove();
    }
  });
});
