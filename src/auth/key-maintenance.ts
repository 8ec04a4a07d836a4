import type { Logger } from '../logger';
import type { KeySet } from './key-set';

export interface KeyMaintenance {
  /** One reload (and rotation, when due); failures are logged, the current set stays in use. */
  runOnce(): Promise<void>;
  /** Stops the timer and waits for a run in progress, so the database can be closed after it. */
  stop(): Promise<void>;
}

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
  let running: Promise<void> | null = null;

  async function maintain(): Promise<void> {
    await keySet.reload();
    if (rotationIntervalMs === null) return;
    const kid = await keySet.rotateIfOlderThan(rotationIntervalMs);
    if (kid) logger.info({ kid }, 'signing key rotated automatically (KEY_ROTATION_INTERVAL)');
  }

  function runOnce(): Promise<void> {
    // A slow run is not stacked on itself.
    running ??= maintain()
      .catch((error: unknown) => logger.error({ err: error }, 'signing key reload failed; keeping the current key set'))
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = setInterval(() => void runOnce(), reloadIntervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
