/**
 * Wraps an async job so that callers arriving while it runs share its result instead of
 * starting it again. A refresh token rotates on each use: two refreshes from one client at
 * once would race, and the loser would present a rotated token.
 */
export function singleFlight<T>(job: () => Promise<T>): () => Promise<T> {
  let inflight: Promise<T> | null = null;
  return () => {
    inflight ??= job().finally(() => {
      inflight = null;
    });
    return inflight;
  };
}
