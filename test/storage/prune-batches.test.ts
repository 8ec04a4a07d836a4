import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PRUNE_BATCH_ROWS } from '../../src/storage/sessions';
import type { Storage } from '../../src/storage/storage';
import { TEST_DIALECT } from '../support/dialect';
import { insertSessionWithToken, insertUser, openTestStorage } from '../support/storage';

const DAY = 24 * 60 * 60 * 1000;
const EXPIRED_SESSIONS = 2 * PRUNE_BATCH_ROWS + 200;

// That each filter has its index: test/storage/sqlite/prune-indexes.test.ts and test/storage/postgres/prune-indexes.test.ts.
describe(`pruning in batches (${TEST_DIALECT})`, () => {
  let storage: Storage;
  before(async () => {
    storage = await openTestStorage();
  });
  after(() => storage.close());

  it('deletes many expired rows in batches between which the event loop turns, and deletes them all', async () => {
    const start = new Date(Date.UTC(2026, 0, 1));
    const user = await insertUser(storage, start);
    const live = await insertSessionWithToken(storage, user.id, start, new Date(start.getTime() + 30 * DAY));
    for (let i = 0; i < EXPIRED_SESSIONS; i++) await insertSessionWithToken(storage, user.id, start, new Date(start.getTime() + DAY));

    let done = false;
    let turns = 0;
    const pruned = storage.sessions.pruneExpired(new Date(start.getTime() + 2 * DAY)).finally(() => (done = true));
    // Each turn here is a turn in which a request could have been served. One transaction over
    // every row (the old prune) ran to its end before the first.
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      turns++;
    }
    assert.deepEqual(await pruned, { sessions: EXPIRED_SESSIONS, refreshTokens: EXPIRED_SESSIONS });
    // Tokens, then sessions, each in ceil(n / batch) batches with a turn between two.
    const yields = 2 * (Math.ceil(EXPIRED_SESSIONS / PRUNE_BATCH_ROWS) - 1);
    assert.ok(turns >= yields, `${turns} event-loop turns during the prune, expected at least ${yields}`);
    assert.ok(await storage.sessions.findById(live.sessionId), 'the live session is kept');
    assert.ok(await storage.sessions.findTokenById(live.tokenId), 'and its token');
  });
});
