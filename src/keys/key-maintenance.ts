import type { Logger } from '../logger';
import { startRecurringTask, type RecurringTask } from '../recurring-task';
import type { KeySet } from './key-set';

/** runOnce: one reload (and rotation, when due); failures are logged, the current set stays in use. */
export type KeyMaintenance = RecurringTask;

export interface KeyMaintenanceOptions {
  keySet: KeySet;
  logger: Logger;
  /** KEYS_RELOAD_INTERVAL: a rotation made anywhere reaches this instance within it, no restart. */
  reloadIntervalMs: number;
  /** KEY_ROTATION_INTERVAL, or null for rotations by the operator only. */
  rotationIntervalMs: number | null;
}

/**
 * Keeps a serving instance's key set in step with storage. Retirement does not depend on this
 * timer (the key set computes it from times on every call); the timer only brings in keys that
 * other instances or `keys:rotate` added. It is unref'd: it never keeps the process alive.
 */
export function startKeyMaintenance(options: KeyMaintenanceOptions): KeyMaintenance {
  const { keySet, logger, reloadIntervalMs, rotationIntervalMs } = options;
  return startRecurringTask({
    intervalMs: reloadIntervalMs,
    logger,
    failure: 'signing key reload failed; keeping the current key set',
    run: async () => {
      await keySet.reload();
      if (rotationIntervalMs === null) return;
      const kid = await keySet.rotateIfOlderThan(rotationIntervalMs);
      if (kid) logger.info({ kid }, 'signing key rotated automatically (KEY_ROTATION_INTERVAL)');
    },
  });
}
