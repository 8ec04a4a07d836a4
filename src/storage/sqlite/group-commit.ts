import type Database from 'better-sqlite3';

interface Pending<In, Out> {
  input: In;
  resolve(output: Out): void;
  reject(error: unknown): void;
}

type Outcome<Out> = { ok: true; output: Out } | { ok: false; error: unknown };

/** What the plain pass throws when a write (not BEGIN or COMMIT) threw: the batch is worth a second pass. */
class WriteThrew {
  constructor(readonly error: unknown) {}
}

/**
 * Group commit: the writes asked for in one turn of the event loop share one transaction.
 * A commit costs the same ~30 system calls (WAL frames, locks) whether it carries one write or
 * twenty, and a refresh storm asks for many at once. A write that throws is rolled back alone
 * and only its caller sees the error; every caller's promise settles after the commit, so an
 * answer never reports a write that is not in the database. If the commit itself fails, every
 * caller in the batch gets that error.
 *
 * Writes almost never throw, so a batch first runs as one plain transaction. Only when one of
 * its writes throws is that transaction rolled back and the batch run again with each write in
 * a savepoint of its own. A savepoint per write on every batch cost ~6% of a refresh (it
 * journals each page before changing it; measured in process, 28 rotations a turn).
 *
 * `apply` must be synchronous (better-sqlite3), run statements prepared on `sqlite`, and have
 * no effect outside the database: after a failed write, the others of its batch run twice.
 */
export function createGroupCommit<In, Out>(sqlite: Database.Database, apply: (input: In) => Out): (input: In) => Promise<Out> {
  const applyAllTogether = sqlite.transaction((batch: Pending<In, Out>[]): Outcome<Out>[] =>
    batch.map((pending) => {
      try {
        return { ok: true, output: apply(pending.input) };
      } catch (error) {
        throw new WriteThrew(error);
      }
    }),
  );
  // Called inside a transaction, a better-sqlite3 transaction function runs as a savepoint.
  const applyInSavepoint = sqlite.transaction(apply);
  const applyEachAlone = sqlite.transaction((batch: Pending<In, Out>[]): Outcome<Out>[] =>
    batch.map((pending) => {
      try {
        return { ok: true, output: applyInSavepoint(pending.input) };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );

  function commit(batch: Pending<In, Out>[]): Outcome<Out>[] {
    try {
      return applyAllTogether.immediate(batch);
    } catch (error) {
      // BEGIN or COMMIT failed: running the batch again would meet the same lock or constraint.
      if (!(error instanceof WriteThrew)) throw error;
      return applyEachAlone.immediate(batch);
    }
  }

  let queue: Pending<In, Out>[] = [];

  function flush(): void {
    const batch = queue;
    queue = [];
    let outcomes;
    try {
      outcomes = commit(batch);
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
