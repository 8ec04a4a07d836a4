/**
 * What one instance knows, without a read, about the keys of failure limiters (attempt-limiter.ts
 * `createFailureLimiter`): which are blocked and until when, and which were read clear. A
 * failure limiter's count only grows within its window (no refund, no reset), so a key turns
 * blocked only by a failure, and every failure at or over the limit is announced to every
 * instance (on PostgreSQL by NOTIFY, limiter-store.ts). Hence a key read clear stays clear until
 * an announcement says otherwise, as long as no announcement can have been missed: the
 * subscription that received them must be the one in force when the key was read (the
 * viewer-state cache's rule, applied to blocks). While no subscription is in force, every check
 * reads the table (fail closed).
 *
 * An announcement sent after its failure committed can be lost when the announcing instance
 * dies in between; the next failure of that key, on any instance, announces the block again.
 */
export interface BlockBoard {
  /** What is known of `key` of the limiter `name` at `nowMs`. */
  lookup(name: string, key: string, nowMs: number): BoardAnswer;
  /** A failure took the key to or over its limit, blocked until `untilMs`: remember it, and tell the other instances. */
  announce(name: string, key: string, untilMs: number): Promise<void>;
}

export type BoardAnswer =
  | { readonly kind: 'blocked'; readonly untilMs: number }
  | { readonly kind: 'clear' }
  /** Read the table, then hand the outcome to `learned`: blocked until `untilMs`, or 0 for clear. */
  | { readonly kind: 'unknown'; learned(blockedUntilMs: number): void };

export interface BlockBoardOptions {
  /** The subscription in force (listener's `subscription()`); null while none is (nothing is remembered as clear). */
  subscription(): number | null;
  /** Tells the other instances of a block (`received` is their end). */
  publish(payload: string): Promise<void>;
  /** Keys remembered as clear, and as blocked; the oldest go first (default 10,000 each, ~100 bytes a key). */
  maxKeys?: number;
}

export interface BlockBoardWithInbox extends BlockBoard {
  /** Another instance's announcement, as `publish` sent it. */
  received(payload: string): void;
  /** How many lookups were unknown, so read the table (diagnostics and tests). */
  readonly reads: number;
}

const ALWAYS_READ: BoardAnswer = { kind: 'unknown', learned: () => {} };
const CLEAR: BoardAnswer = { kind: 'clear' };

export function createBlockBoard(options: BlockBoardOptions): BlockBoardWithInbox {
  const maxKeys = options.maxKeys ?? 10_000;
  /** `name:key` -> the end of its block, epoch ms. */
  const blocked = new Map<string, number>();
  /** `name:key` -> the subscription in which a read found it clear. */
  const clear = new Map<string, number>();
  let reads = 0;

  function remember<V>(map: Map<string, V>, id: string, value: V): void {
    map.delete(id);
    map.set(id, value);
    if (map.size <= maxKeys) return;
    const oldest = map.keys().next().value as string;
    map.delete(oldest);
    // A forgotten block must not leave a clear reading behind that it had overruled.
    if (map === blocked) clear.delete(oldest);
  }

  function block(id: string, untilMs: number): void {
    if ((blocked.get(id) ?? 0) >= untilMs) return;
    remember(blocked, id, untilMs);
  }

  return {
    lookup(name, key, nowMs) {
      const id = `${name}:${key}`;
      const untilMs = blocked.get(id);
      if (untilMs !== undefined) {
        if (untilMs > nowMs) return { kind: 'blocked', untilMs };
        // The window is over: the count starts again from nothing, as clear as a key never seen.
        blocked.delete(id);
      }
      const subscription = options.subscription();
      if (subscription === null) {
        reads++;
        return ALWAYS_READ;
      }
      if (clear.get(id) === subscription) return CLEAR;
      reads++;
      return {
        kind: 'unknown',
        learned(blockedUntilMs) {
          if (blockedUntilMs > 0) block(id, blockedUntilMs);
          // A subscription lost during the read may have missed the block that read did not see yet.
          else if (options.subscription() === subscription) remember(clear, id, subscription);
        },
      };
    },
    async announce(name, key, untilMs) {
      const id = `${name}:${key}`;
      block(id, untilMs);
      await options.publish(`${untilMs} ${id}`);
    },
    received(payload) {
      const space = payload.indexOf(' ');
      const untilMs = Number(payload.slice(0, space));
      if (space < 1 || !Number.isSafeInteger(untilMs)) return;
      block(payload.slice(space + 1), untilMs);
    },
    get reads() {
      return reads;
    },
  };
}
