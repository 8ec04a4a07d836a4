import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeOrderedId } from '../../src/storage/time-ordered-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The first 48 bits of a UUIDv7: milliseconds since the epoch (RFC 9562 §5.7). */
function millisecondsOf(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

describe('time-ordered ids (UUIDv7)', () => {
  it('is a version 7, RFC 9562 variant UUID that carries the given time to the millisecond', () => {
    for (const at of [new Date(0), new Date('2026-11-30T08:00:00.123Z'), new Date(2 ** 47)]) {
      const id = timeOrderedId(at);
      assert.match(id, UUID_V7);
      assert.equal(millisecondsOf(id), at.getTime());
    }
  });

  it('sorts by time as text, so rows inserted one after another sit together in a key index', () => {
    const times = [1, 255, 256, 65_536, Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-11-30T08:00:00Z'), Date.parse('2099-12-31T23:59:59.999Z')];
    const ids = times.map((ms) => timeOrderedId(new Date(ms)));
    assert.deepEqual([...ids].sort(), ids);
  });

  it('is unique among many made in the same millisecond', () => {
    const at = new Date('2026-11-30T08:00:00Z');
    const ids = new Set(Array.from({ length: 20_000 }, () => timeOrderedId(at)));
    assert.equal(ids.size, 20_000);
  });
});
