import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DAY, ManualClock } from '../support/clock';
import { signup } from '../support/graphql';
import { createCliWorkspace, type CliWorkspace } from './run-cli';

describe('tokens:prune', () => {
  let cli: CliWorkspace;
  before(() => {
    cli = createCliWorkspace();
  });
  after(() => cli.remove());

  it('deletes sessions past their expiry with their tokens, keeps live ones, and reports the counts', async () => {
    const clock = new ManualClock(Date.now() - 100 * DAY);
    const t = await cli.startApp(clock);
    let live: string;
    try {
      await signup(t.url);
      clock.set(Date.now());
      live = (await signup(t.url)).user.id;
    } finally {
      await t.close();
    }

    const result = await cli.run(['tokens:prune']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^deleted 1 session, 1 refresh token and \d+ audit events?\n$/);

    const t2 = await cli.startApp();
    try {
      const sessions = t2.app.database.sqlite.prepare('select user_id from sessions').all() as Array<{ user_id: string }>;
      assert.deepEqual(sessions.map((row) => row.user_id), [live]);
    } finally {
      await t2.close();
    }
  });
});
