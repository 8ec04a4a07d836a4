import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBlockBoard, type BoardAnswer } from '../../src/storage/limit-block-board';

const NOW = Date.UTC(2026, 0, 1);

/** A board over a fake subscription; `sent` is what it published to the other instances. */
function setup(maxKeys = 10) {
  let subscription: number | null = 1;
  const sent: string[] = [];
  const board = createBlockBoard({
    subscription: () => subscription,
    publish: async (payload) => void sent.push(payload),
    maxKeys,
  });
  return {
    board,
    sent,
    resubscribe: () => (subscription = subscription === null ? 100 : subscription + 1),
    stopListening: () => (subscription = null),
  };
}

function unknown(answer: BoardAnswer): Extract<BoardAnswer, { kind: 'unknown' }> {
  assert.equal(answer.kind, 'unknown');
  return answer as Extract<BoardAnswer, { kind: 'unknown' }>;
}

describe('block board of the failure limiters (what an instance knows without a read)', () => {
  it('a key read clear is known clear for the rest of the subscription, and read again in the next', () => {
    const { board, resubscribe } = setup();
    unknown(board.lookup('REFRESH_IP', '10.0.0.1', NOW)).learned(0);
    assert.equal(board.lookup('REFRESH_IP', '10.0.0.1', NOW).kind, 'clear');
    assert.equal(board.lookup('REFRESH_IP', '10.0.0.2', NOW).kind, 'unknown', 'another key');
    assert.equal(board.lookup('USER_CODE_IP', '10.0.0.1', NOW).kind, 'unknown', 'the same key of another limiter');
    resubscribe();
    assert.equal(board.lookup('REFRESH_IP', '10.0.0.1', NOW).kind, 'unknown', 'announcements may have been missed in between');
    assert.equal(board.reads, 4);
  });

  it('without a subscription nothing is remembered as clear: every lookup reads', () => {
    const { board, stopListening, resubscribe } = setup();
    stopListening();
    for (let i = 0; i < 3; i++) unknown(board.lookup('REFRESH_IP', 'ip', NOW)).learned(0);
    assert.equal(board.reads, 3);
    resubscribe();
    unknown(board.lookup('REFRESH_IP', 'ip', NOW)).learned(0);
    assert.equal(board.lookup('REFRESH_IP', 'ip', NOW).kind, 'clear');
  });

  it('a read that began before the subscription was lost is not remembered as clear', () => {
    const { board, resubscribe } = setup();
    const answer = unknown(board.lookup('REFRESH_IP', 'ip', NOW));
    resubscribe();
    answer.learned(0);
    assert.equal(board.lookup('REFRESH_IP', 'ip', NOW).kind, 'unknown');
  });

  it("another instance's announcement overrules a clear reading until the block's end, then the key is clear again", () => {
    const { board } = setup();
    unknown(board.lookup('REFRESH_IP', 'ip', NOW)).learned(0);
    board.received(`${NOW + 60_000} REFRESH_IP:ip`);
    assert.deepEqual(board.lookup('REFRESH_IP', 'ip', NOW + 10_000), { kind: 'blocked', untilMs: NOW + 60_000 });
    assert.equal(board.lookup('REFRESH_IP', 'ip', NOW + 60_000).kind, 'clear', 'the window is over');
  });

  it('an announcement that arrives while a read is in flight wins over what the read found', () => {
    const { board } = setup();
    const answer = unknown(board.lookup('REFRESH_IP', 'ip', NOW));
    board.received(`${NOW + 60_000} REFRESH_IP:ip`);
    answer.learned(0);
    assert.equal(board.lookup('REFRESH_IP', 'ip', NOW + 1).kind, 'blocked');
  });

  it('keys with spaces and colons (IPv6) travel whole; a malformed announcement is ignored', () => {
    const { board } = setup();
    board.received(`${NOW + 5_000} USER_CODE_USER:a b:c`);
    board.received(`${NOW + 5_000} REFRESH_IP:2001:db8::1`);
    board.received('soon REFRESH_IP:10.0.0.9');
    board.received('REFRESH_IP:10.0.0.9');
    assert.equal(board.lookup('USER_CODE_USER', 'a b:c', NOW).kind, 'blocked');
    assert.equal(board.lookup('REFRESH_IP', '2001:db8::1', NOW).kind, 'blocked');
    assert.equal(board.lookup('REFRESH_IP', '10.0.0.9', NOW).kind, 'unknown');
  });

  it('a block announced here is known here at once and published for the others', async () => {
    const { board, sent } = setup();
    await board.announce('REFRESH_IP', '2001:db8::1', NOW + 30_000);
    assert.deepEqual(sent, [`${NOW + 30_000} REFRESH_IP:2001:db8::1`]);
    assert.deepEqual(board.lookup('REFRESH_IP', '2001:db8::1', NOW), { kind: 'blocked', untilMs: NOW + 30_000 });
  });

  it('a later announcement never shortens a block', () => {
    const { board } = setup();
    board.received(`${NOW + 60_000} REFRESH_IP:ip`);
    board.received(`${NOW + 1_000} REFRESH_IP:ip`);
    assert.deepEqual(board.lookup('REFRESH_IP', 'ip', NOW + 2_000), { kind: 'blocked', untilMs: NOW + 60_000 });
  });

  it('memory is bounded; a block pushed out takes its clear reading with it, so the key is read again, never passed', () => {
    const { board } = setup(2);
    unknown(board.lookup('L', 'a', NOW)).learned(0);
    board.received(`${NOW + 60_000} L:a`);
    board.received(`${NOW + 60_000} L:b`);
    board.received(`${NOW + 60_000} L:c`);
    assert.equal(board.lookup('L', 'a', NOW).kind, 'unknown', 'the oldest block went, and so did its clear reading');
    assert.equal(board.lookup('L', 'c', NOW).kind, 'blocked');
    for (const key of ['x', 'y', 'z']) unknown(board.lookup('L', key, NOW)).learned(0);
    assert.equal(board.lookup('L', 'x', NOW).kind, 'unknown', 'at most two clear readings are kept');
    assert.equal(board.lookup('L', 'z', NOW).kind, 'clear');
  });
});
