import type { Logger } from '../logger';
import { startRecurringTask, type RecurringTask } from '../recurring-task';
import type { PruneResult } from './prune';

export type PruneTimer = Pick<RecurringTask, 'stop'>;

export interface PruneTimerOptions {
  intervalMs: number;
  prune(): Promise<PruneResult>;
  logger: Logger;
}

/** Runs pruning every PRUNE_INTERVAL (see startRecurringTask for overlap and failure handling). */
export function startPruneTimer(options: PruneTimerOptions): PruneTimer {
  const { intervalMs, prune, logger } = options;
  return startRecurringTask({
    intervalMs,
    logger,
    failure: 'pruning failed',
    run: async () => {
      const result = await prune();
      logger.info({ pruned: result }, 'pruned expired sessions, tokens and audit events');
    },
  });
}
