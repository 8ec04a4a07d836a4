import type Database from 'better-sqlite3';

/**
 * The probe's one row in rate_limits: outside every limiter's key space (theirs are
 * `<NAME>:<key>`), with no expiry so clearExpired neither takes nor counts it; each probe bumps it.
 */
const PROBE_KEY = 'keycard.readiness-probe';

export type ProbeOutcome = { ok: true } | { ok: false; error: unknown };

export interface ReadinessProbe {
  /** Writes now: a committed one-row upsert, the smallest write that meets what a real one meets (lock, read-only file, full disk). */
  writeNow(): ProbeOutcome;
  /** The outcome of the last write made within intervalMs, or of a new one. */
  check(): boolean;
}

/**
 * /readyz used to run `select 1`, which answers on a read-only file, a full disk and under a
 * lock held elsewhere, none of which lets a write through. So readiness is a real write: tiny
 * (one row), made at most every `intervalMs` so a prober polling every second costs nothing.
 */
export function createReadinessProbe(sqlite: Database.Database, options: { intervalMs?: number }): ReadinessProbe {
  const intervalMs = options.intervalMs ?? 2_000;
  const upsert = sqlite.prepare('INSERT INTO rate_limits (key, points, expire) VALUES (?, 0, NULL) ON CONFLICT(key) DO UPDATE SET points = (rate_limits.points + 1) % 1000000');
  const write = sqlite.transaction(() => upsert.run(PROBE_KEY));
  let last: { at: number; ok: boolean } | null = null;
  function writeNow(): ProbeOutcome {
    const at = Date.now();
    try {
      write.immediate();
      last = { at, ok: true };
      return { ok: true };
    } catch (error) {
      last = { at, ok: false };
      return { ok: false, error };
    }
  }
  return {
    writeNow,
    check() {
      if (last && Date.now() - last.at < intervalMs) return last.ok;
      return writeNow().ok;
    },
  };
}
