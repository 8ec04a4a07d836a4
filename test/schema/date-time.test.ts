import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphQLError } from 'graphql';
import { createIsoDateStrings } from '../../src/schema/types/iso-date-strings';
import { createDateTimeScalar } from '../../src/schema/types/scalars';

/** Dates around the edges of toISOString's format: extended years, the epoch, millisecond neighbours. */
const EDGE_CASES = [
  0,
  -1,
  1,
  Date.UTC(1969, 11, 31, 23, 59, 59, 999),
  Date.UTC(2000, 1, 29, 12, 0, 0, 1),
  Date.UTC(2026, 10, 30, 6, 7, 2, 0),
  Date.UTC(2026, 10, 30, 6, 7, 2, 1),
  Date.UTC(9999, 11, 31, 23, 59, 59, 999),
  Date.UTC(10000, 0, 1),
  Date.UTC(-1, 0, 1),
  8.64e15,
  -8.64e15,
];

describe('DateTime text (iso-date-strings)', () => {
  it('writes exactly what toISOString writes, on the first and on every later call', () => {
    const strings = createIsoDateStrings(64);
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 4e12 - 1e12;
    const values = [...EDGE_CASES, ...Array.from({ length: 500 }, () => Math.round(random()))];
    for (let round = 0; round < 3; round++) {
      for (const ms of values) assert.equal(strings.format(new Date(ms)), new Date(ms).toISOString(), `ms ${ms}, round ${round}`);
    }
  });

  it('keeps two dates one millisecond apart apart', () => {
    const strings = createIsoDateStrings();
    const at = Date.UTC(2026, 0, 1, 0, 0, 0, 0);
    assert.equal(strings.format(new Date(at)), '2026-01-01T00:00:00.000Z');
    assert.equal(strings.format(new Date(at + 1)), '2026-01-01T00:00:00.001Z');
    assert.equal(strings.format(new Date(at)), '2026-01-01T00:00:00.000Z');
  });

  it('throws for an invalid Date, as toISOString does, and remembers nothing of it', () => {
    const strings = createIsoDateStrings();
    assert.throws(() => strings.format(new Date(Number.NaN)), RangeError);
    assert.equal(strings.size, 0);
  });

  it('never holds more than its bound', () => {
    const strings = createIsoDateStrings(10);
    for (let ms = 0; ms < 1000; ms++) {
      strings.format(new Date(ms));
      assert.ok(strings.size <= 10, `size ${strings.size} after ${ms + 1} dates`);
    }
    assert.equal(strings.format(new Date(5)), new Date(5).toISOString());
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => createIsoDateStrings(bad), RangeError);
  });
});

describe('the DateTime scalar', () => {
  const scalar = createDateTimeScalar(createIsoDateStrings(4));

  it('serializes a Date to its RFC 3339 text', () => {
    assert.equal(scalar.serialize(new Date(Date.UTC(2026, 10, 30, 6, 7, 2, 45))), '2026-11-30T06:07:02.045Z');
  });

  it('refuses an invalid Date with a GraphQL error, not a RangeError', () => {
    assert.throws(() => scalar.serialize(new Date(Number.NaN)), GraphQLError);
  });

  it('still refuses input that is not a date-time', () => {
    assert.throws(() => scalar.parseValue('yesterday'), GraphQLError);
  });
});
