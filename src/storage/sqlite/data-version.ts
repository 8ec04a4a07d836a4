/**
 * `PRAGMA data_version`, read at most once per turn of the event loop.
 *
 * The session check asks for it on every request: it is how a commit of another connection
 * (the operator CLI, another process on the file) reaches the cache (viewer-state-cache.ts).
 * Each reading is a statement, so a read transaction and its locks on the WAL index: in a
 * differential CPU profile of `me` under load (Keycard against plain Apollo, same run) it was
 * the largest cost Keycard has and plain Apollo has not, ~12% of Keycard's time per request.
 *
 * Requests whose bytes were read from their sockets in the same turn share one reading. A
 * commit that lands while that turn runs is concurrent with those requests (they were sent
 * before it was acknowledged), so answering them as of the turn's first reading is one valid
 * order; every request read in a later turn sees it. So the guarantee stays "the first request
 * after the commit" for any client that waits for the commit (the CLI exits, then the client
 * calls). Two bounds keep a reading from outliving its turn whatever phase took it (a timer's
 * or an immediate's callback): it is forgotten by setImmediate and is never older than
 * `maxAgeMs` (1 ms by default).
 */
export interface DataVersionReaderOptions {
  /** The oldest a reading may be when it is reused, in ms (default 1). */
  maxAgeMs?: number;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
  /** Runs `forget` once the current turn is over (default setImmediate, unref'd). */
  afterTurn?: (forget: () => void) => void;
}

export function createDataVersionReader(readVersion: () => number, options: DataVersionReaderOptions = {}): () => number {
  const maxAgeMs = options.maxAgeMs ?? 1;
  const now = options.now ?? (() => performance.now());
  const afterTurn = options.afterTurn ?? ((forget) => void setImmediate(forget).unref());
  // A forget is pending exactly while there is a reading: it is scheduled when one is first taken.
  let reading: number | undefined;
  let readAt = 0;
  const forget = () => {
    reading = undefined;
  };
  return () => {
    const at = now();
    if (reading !== undefined && at - readAt <= maxAgeMs) return reading;
    if (reading === undefined) afterTurn(forget);
    reading = readVersion();
    readAt = at;
    return reading;
  };
}
