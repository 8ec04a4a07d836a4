import type { Logger } from '../logger';
import type { PruneResult } from './prune';

export interface PruneTimer {
  /** Stops the timer and waits for a run in progress, so the database can be closed after it. */
  stop(): Promise<void>;
}

export interface PruneTimerOptions {
  intervalMs: number;
  prune(): Promise<PruneResult>;
  logger: Logger;
}

/**
 * Runs pruning every `intervalMs`. The timer is unref'd: it never keeps the process alive on its
 * own. A slow run is not stacked on itself, and a failed run is logged and retried next time.
 */
export function startPruneTimer(options: PruneTimerOptions): PruneTimer {
  const { intervalMs, prune, logger } = options;
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = prune()
      .then(
        (result) => logger.info({ pruned: result }, 'pruned expired sessions, tokens and audit events'),
        (error: unknown) => logger.error({ err: error }, 'pruning failed'),
      )
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
