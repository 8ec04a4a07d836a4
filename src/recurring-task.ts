import type { Logger } from './logger';

export interface RecurringTask {
  /** Runs the task now unless a run is already under way (then returns that run). */
  runOnce(): Promise<void>;
  /** Stops the timer and waits for a run in progress, so the database can be closed after it. */
  stop(): Promise<void>;
}

/**
 * Background upkeep on a timer. The timer is unref'd: it never keeps the process alive on its
 * own. A slow run is not stacked on itself, and a failed run is logged and retried next time.
 */
export function startRecurringTask(options: { intervalMs: number; run: () => Promise<void>; logger: Logger; failure: string }): RecurringTask {
  const { intervalMs, run, logger, failure } = options;
  let running: Promise<void> | null = null;

  function runOnce(): Promise<void> {
    running ??= run()
      .catch((error: unknown) => logger.error({ err: error }, failure))
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
