import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DAY, ManualClock } from '../support/clock';
import { signup } from '../support/graphql';
import { createCliWorkspace, type CliWorkspace } from './run-cli';

describe('tokens:prune', () => {
  let cli: CliWorkspace;
  beforeEach(() => {
    cli = createCliWorkspace();
  });
  afterEach(() => cli.remove());

  it('deletes sessions past their expiry with their tokens and ended rate-limit windows, keeps live ones, and reports the counts', async () => {
    const clock = new ManualClock(Date.now() - 100 * DAY);
    const t = await cli.startApp(clock);
    let live: string;
    try {
      await signup(t.url);
      // A rate-limit window that ended long ago, beside one still running.
      const insert = t.app.database.sqlite.prepare('insert into rate_limits (key, points, expire) values (?, 1, ?)');
      insert.run('LOGIN_IP:ended', Date.now() - DAY);
      insert.run('LOGIN_IP:running', Date.now() + DAY);
      clock.set(Date.now());
      live = (await signup(t.url)).user.id;
    } finally {
      await t.close();
    }

    const result = await cli.run(['tokens:prune']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^deleted 1 session, 1 refresh token, \d+ audit events? and 1 rate-limit counter\n$/);

    const t2 = await cli.startApp();
    try {
      const sessions = t2.app.database.sqlite.prepare('select user_id from sessions').all() as Array<{ user_id: string }>;
      assert.deepEqual(sessions.map((row) => row.user_id), [live]);
      const counters = t2.app.database.sqlite.prepare('select key from rate_limits').all() as Array<{ key: string }>;
      const keys = counters.map((row) => row.key);
      assert.ok(keys.includes('LOGIN_IP:running'), 'a running window stays');
      assert.ok(!keys.includes('LOGIN_IP:ended'), 'an ended window is deleted');
    } finally {
      await t2.close();
    }
  });
});
