/**
 * A counting semaphore. argon2id at 12 MiB is CPU- and memory-bound on the libuv pool: more
 * hashes in flight than cores only add queueing, event-loop jitter and ~12 MiB of RSS each.
 */
export function createLimiter(maxInFlight: number) {
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  return async function limit<T>(task: () => Promise<T>): Promise<T> {
    if (inFlight >= maxInFlight) await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight++;
    try {
      return await task();
    } finally {
      inFlight--;
      waiting.shift()?.();
    }
  };
}
