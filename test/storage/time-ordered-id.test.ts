import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeOrderedId } from '../../src/storage/time-ordered-id';
import { millisecondsOfUuidV7, UUID_V7 } from '../support/uuid-v7';

describe('time-ordered ids (UUIDv7)', () => {
  it('is a version 7, RFC 9562 variant UUID that carries the given time to the millisecond', () => {
    for (const at of [new Date(0), new Date('2026-11-30T08:00:00.123Z'), new Date(2 ** 47)]) {
      const id = timeOrderedId(at.getTime());
      assert.match(id, UUID_V7);
      assert.equal(millisecondsOfUuidV7(id), at.getTime());
    }
  });

  it('sorts by time as text, so rows inserted one after another sit together in a key index', () => {
    const times = [1, 255, 256, 65_536, Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-11-30T08:00:00Z'), Date.parse('2099-12-31T23:59:59.999Z')];
    const ids = times.map((ms) => timeOrderedId(ms));
    assert.deepEqual([...ids].sort(), ids);
  });

  it('is unique among many made in the same millisecond', () => {
    const at = Date.parse('2026-11-30T08:00:00Z');
    const ids = new Set(Array.from({ length: 20_000 }, () => timeOrderedId(at)));
    assert.equal(ids.size, 20_000);
  });
});
