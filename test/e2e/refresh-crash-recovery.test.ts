import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RefreshDocument } from '../../src/client/generated/graphql';
import { CRASH_RECOVERY_LOOKBACK_MS } from '../../src/sessions/session.service';
import { startTestApp, type TestApp } from '../support/app';
import { ManualClock, MINUTE, SECOND } from '../support/clock';
import { TEST_DIALECT } from '../support/dialect';
import { assertErrorCode, call, signup } from '../support/graphql';
import { createMigratedTestDatabase, type TestDatabase } from '../support/postgres';

const GRACE = 10 * SECOND;
const env = (databaseUrl: string) => ({ DATABASE_URL: databaseUrl, REFRESH_REUSE_GRACE: '10s', REFRESH_LIMIT_PER_IP: '100000' });

/**
 * A rotation committed by a server that died (kill -9) before answering: the client still holds
 * the old token. The process is restarted on the same database, later than the grace window
 * (a slow restart); the clock is manual and shared, so "later" is exact. What a process held in
 * memory is gone with it, as after a kill -9: the database is all the second process sees.
 */
describe(`a rotation committed but never answered, retried after a restart (${TEST_DIALECT})`, () => {
  let dir: string | undefined;
  let database: TestDatabase | undefined;
  let databaseUrl: string;
  before(async () => {
    if (TEST_DIALECT === 'postgres') {
      database = await createMigratedTestDatabase();
      databaseUrl = database.url;
    } else {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycard-crash-'));
      databaseUrl = `file:${path.join(dir, 'keycard.db')}`;
    }
  });
  after(async () => {
    await database?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Signs in on a first process, rotates once (the answer "lost"), stops it, and runs `then` on a second one started `restartMs` later. */
  async function afterLostAnswer(restartMs: number, then: (second: TestApp, lost: { old: string; successor: string }) => Promise<void>, useSuccessorFirst = false) {
    const clock = new ManualClock();
    const first = await startTestApp(env(databaseUrl), { clock });
    let lost: { old: string; successor: string };
    try {
      const { refreshToken } = await signup(first.url);
      clock.advance(MINUTE);
      const rotated = await call(first.url, RefreshDocument, { refreshToken });
      assert.equal(rotated.errors, undefined, JSON.stringify(rotated.errors));
      lost = { old: refreshToken, successor: rotated.data!.refresh.refreshToken! };
      if (useSuccessorFirst) {
        const used = await call(first.url, RefreshDocument, { refreshToken: lost.successor });
        assert.equal(used.errors, undefined, JSON.stringify(used.errors));
      }
    } finally {
      await first.close();
    }
    clock.advance(restartMs);
    const second = await startTestApp(env(databaseUrl), { clock });
    try {
      await then(second, lost);
    } finally {
      await second.close();
    }
  }

  it('the old token, retried within the grace window after a slow restart, gets the same successor, which then rotates as usual', async () => {
    await afterLostAnswer(MINUTE, async (second, lost) => {
      second.clock.advance(3 * SECOND);
      const retried = await call(second.url, RefreshDocument, { refreshToken: lost.old });
      assert.equal(retried.errors, undefined, JSON.stringify(retried.errors));
      assert.equal(retried.data!.refresh.refreshToken, lost.successor, 'the successor the lost answer carried');
      const next = await call(second.url, RefreshDocument, { refreshToken: lost.successor });
      assert.equal(next.errors, undefined, JSON.stringify(next.errors));
    });
  });

  it('the extension lasts one grace window from the start: later, the old token is reuse and ends the session', async () => {
    await afterLostAnswer(MINUTE, async (second, lost) => {
      second.clock.advance(GRACE + SECOND);
      assertErrorCode(await call(second.url, RefreshDocument, { refreshToken: lost.old }), 'INVALID_REFRESH_TOKEN', { reason: 'REUSED' });
      assertErrorCode(await call(second.url, RefreshDocument, { refreshToken: lost.successor }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
    });
  });

  it('not once the successor was used: then someone holds it, and the old token is reuse', async () => {
    await afterLostAnswer(
      MINUTE,
      async (second, lost) => {
        second.clock.advance(SECOND);
        assertErrorCode(await call(second.url, RefreshDocument, { refreshToken: lost.old }), 'INVALID_REFRESH_TOKEN', { reason: 'REUSED' });
      },
      true,
    );
  });

  it('not for a rotation from long before the start: no crash explains that retry', async () => {
    await afterLostAnswer(CRASH_RECOVERY_LOOKBACK_MS + MINUTE, async (second, lost) => {
      second.clock.advance(SECOND);
      assertErrorCode(await call(second.url, RefreshDocument, { refreshToken: lost.old }), 'INVALID_REFRESH_TOKEN', { reason: 'REUSED' });
    });
  });

  it('within one process nothing changes: past the grace window the old token is reuse', async () => {
    const clock = new ManualClock();
    const t = await startTestApp(env(databaseUrl), { clock });
    try {
      const { refreshToken } = await signup(t.url);
      clock.advance(MINUTE);
      assert.equal((await call(t.url, RefreshDocument, { refreshToken })).errors, undefined);
      clock.advance(GRACE + SECOND);
      assertErrorCode(await call(t.url, RefreshDocument, { refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REUSED' });
    } finally {
      await t.close();
    }
  });
});
