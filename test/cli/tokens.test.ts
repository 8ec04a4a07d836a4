import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, type TestContext } from 'node:test';
import { DAY, ManualClock, MINUTE } from '../support/clock';
import { signup } from '../support/graphql';
import { decodeSegment } from '../support/tokens';
import { createCliWorkspace, type CliWorkspace } from './run-cli';

/** The session of an access token. */
const sessionOf = (accessToken: string) => decodeSegment(accessToken, 1).sid as string;

describe('tokens:prune', () => {
  let cli: CliWorkspace;
  beforeEach(async () => {
    cli = await createCliWorkspace();
  });
  afterEach(() => cli.remove());

  it('deletes sessions past their expiry with their tokens and ended rate-limit windows, keeps live ones, and reports the counts', async (tc: TestContext) => {
    const clock = new ManualClock(Date.now() - 100 * DAY);
    const t = await cli.startApp(clock);
    let expired: string;
    let live: string;
    try {
      expired = sessionOf((await signup(t.url)).accessToken);
      // A rate-limit window that ended long ago, beside one still running (counters run on Date.now()).
      const counter = (durationMs: number) => t.app.storage.limiterStore.counter({ name: 'LOGIN_IP', points: 5, durationMs });
      tc.mock.timers.enable({ apis: ['Date'], now: Date.now() - DAY });
      await counter(MINUTE).consume('ended');
      tc.mock.timers.reset();
      await counter(DAY).consume('running');
      clock.set(Date.now());
      live = sessionOf((await signup(t.url)).accessToken);
    } finally {
      await t.close();
    }

    const result = await cli.run(['tokens:prune']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^deleted 1 session, 1 refresh token, \d+ audit events?, 0 one-time tokens, 0 API tokens, 0 device requests, 0 social-login attempts and 1 rate-limit counter\n$/);

    const t2 = await cli.startApp();
    try {
      assert.equal(await t2.app.storage.sessions.findById(expired), undefined, 'the expired session is deleted');
      assert.ok(await t2.app.storage.sessions.findById(live), 'the live session stays');
      const running = await t2.app.storage.limiterStore.counter({ name: 'LOGIN_IP', points: 5, durationMs: DAY }).get('running');
      assert.equal(running?.consumedPoints, 1, 'a running window stays');
      assert.equal(await t2.app.storage.limiterStore.clearExpired(), 0, 'the ended window was deleted: no ended one is left');
    } finally {
      await t2.close();
    }
  });
});
