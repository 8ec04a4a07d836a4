import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDataVersionReader } from '../../../src/storage/sqlite/data-version';

/** A version source that counts its readings, a hand-driven clock and a hand-driven end of turn. */
function harness(maxAgeMs?: number) {
  let version = 1;
  let readings = 0;
  let time = 0;
  let endOfTurn: (() => void) | undefined;
  const read = createDataVersionReader(
    () => {
      readings++;
      return version;
    },
    { maxAgeMs, now: () => time, afterTurn: (forget) => (endOfTurn = forget) },
  );
  return {
    read,
    commitElsewhere: () => void version++,
    advance: (ms: number) => void (time += ms),
    endTurn: () => {
      const forget = endOfTurn;
      endOfTurn = undefined;
      forget?.();
    },
    get readings() {
      return readings;
    },
  };
}

describe('PRAGMA data_version once per turn (data-version.ts)', () => {
  it('reads once for any number of checks in one turn', () => {
    const h = harness();
    for (let i = 0; i < 50; i++) assert.equal(h.read(), 1);
    assert.equal(h.readings, 1);
  });

  it('reads again in the next turn, and sees a commit made in between', () => {
    const h = harness();
    h.read();
    h.commitElsewhere();
    h.endTurn();
    assert.equal(h.read(), 2);
    assert.equal(h.readings, 2);
  });

  it('never reuses a reading older than maxAgeMs, even within a turn that has not ended', () => {
    const h = harness(1);
    h.read();
    h.commitElsewhere();
    h.advance(1);
    assert.equal(h.read(), 1, 'at exactly 1 ms the reading is still reused');
    h.advance(0.01);
    assert.equal(h.read(), 2, 'older than 1 ms: read again');
    assert.equal(h.readings, 2);
  });

  it('schedules one end-of-turn forget at a time', () => {
    let scheduled = 0;
    let forget: (() => void) | undefined;
    let time = 0;
    const read = createDataVersionReader(() => 7, { now: () => time, afterTurn: (f) => ((forget = f), scheduled++) });
    read();
    time += 5;
    read();
    read();
    assert.equal(scheduled, 1);
    forget!();
    read();
    assert.equal(scheduled, 2);
  });

  it('by default forgets when the event loop turns (setImmediate)', async () => {
    let version = 1;
    const read = createDataVersionReader(() => version, { maxAgeMs: 60_000 });
    assert.equal(read(), 1);
    version = 2;
    assert.equal(read(), 1, 'same turn');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(read(), 2);
  });
});
