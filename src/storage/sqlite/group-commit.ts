import type Database from 'better-sqlite3';

interface Pending<In, Out> {
  input: In;
  resolve(output: Out): void;
  reject(error: unknown): void;
}

/**
 * Group commit: the writes asked for in one turn of the event loop share one transaction.
 * A commit costs the same ~30 system calls (WAL frames, locks) whether it carries one write or
 * twenty, and a refresh storm asks for many at once. Each write still runs in a savepoint of
 * its own, so one that throws is rolled back alone and only its caller sees the error; every
 * caller's promise settles after the commit, so an answer never reports a write that is not in
 * the database. If the commit itself fails, every caller in the batch gets that error.
 *
 * `apply` must be synchronous (better-sqlite3) and run statements prepared on `sqlite`.
 */
export function createGroupCommit<In, Out>(sqlite: Database.Database, apply: (input: In) => Out): (input: In) => Promise<Out> {
  // Called inside a transaction, a better-sqlite3 transaction function runs as a savepoint.
  const applyInSavepoint = sqlite.transaction(apply);
  const applyAll = sqlite.transaction((batch: Pending<In, Out>[]) =>
    batch.map((pending): { ok: true; output: Out } | { ok: false; error: unknown } => {
      try {
        return { ok: true, output: applyInSavepoint(pending.input) };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
  let queue: Pending<In, Out>[] = [];

  function flush(): void {
    const batch = queue;
    queue = [];
    let outcomes;
    try {
      outcomes = applyAll.immediate(batch);
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    outcomes.forEach((outcome, index) => {
      const pending = batch[index]!;
      if (outcome.ok) pending.resolve(outcome.output);
      else pending.reject(outcome.error);
    });
  }

  return (input) =>
    new Promise<Out>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      // setImmediate runs after the poll phase: every request read in this turn has queued by then.
      if (queue.length === 1) setImmediate(flush);
    });
}
