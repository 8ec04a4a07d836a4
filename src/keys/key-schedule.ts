/**
 * The life of a signing key, computed from its times alone, so every instance (and the CLI)
 * reaches the same answer from the same rows without any coordination:
 *
 *   pending         published in the JWKS, signs nothing yet (caches learn it first)
 *   active          the key new tokens are signed with: the newest rotation whose activation has come
 *   verifying-only  superseded: signs nothing, verifies the tokens it signed until they expire
 *   retired         no live token can carry it: out of the JWKS, refused by the verifier
 *
 * A key stops signing when its successor activates; the last token it signed expires at most
 * ACCESS_TOKEN_TTL later and is accepted for CLOCK_TOLERANCE beyond that. That sum is the
 * verify window: past it the key can only help a forger (RFC 8725 §3.5 on key lifetimes).
 */
export const KEY_STATES = ['pending', 'active', 'verifying-only', 'retired'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** What the schedule reads from a stored or loaded key: times in ms since the epoch. */
export interface KeyTimes {
  readonly kid: string;
  readonly createdAt: number;
  readonly activatesAt: number;
  /** Set once a key has been retired (or scheduled to be); null while it may still verify. */
  readonly retiredAt: number | null;
}

export interface KeyWindow {
  /** When the next key took over signing; null while this key is the newest. */
  readonly supersededAt: number | null;
  /** When this key stops verifying; null while nothing has superseded it. */
  readonly retiresAt: number | null;
}

export type ScheduledKey<K extends KeyTimes> = KeyWindow & { readonly key: K };

/**
 * Rotation order: creation first; keys created in the same millisecond (a first start that
 * rotates at once) fall back to activation order, and kid breaks ties so every instance agrees.
 */
function byRotationOrder(a: KeyTimes, b: KeyTimes): number {
  return a.createdAt - b.createdAt || a.activatesAt - b.activatesAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);
}

/**
 * Orders keys by when they were rotated in and gives each its window. The newest rotation wins:
 * a key stops signing as soon as any key rotated in after it activates, even if it was itself
 * still pending then (`keys:rotate --activate-in 0` while an earlier rotation waits). Such a key
 * never signed a token, so it retires at that moment instead of after the verify window.
 * Keys already retired at `now` are left out of the succession: a retired key never comes back,
 * and never delays another.
 */
export function scheduleKeys<K extends KeyTimes>(keys: readonly K[], now: number, verifyWindowMs: number): ScheduledKey<K>[] {
  const retired = keys.filter((k) => k.retiredAt !== null && k.retiredAt <= now);
  const live = keys.filter((k) => !retired.includes(k)).sort(byRotationOrder);
  // The earliest activation among the keys rotated in after each key: when that key stops signing.
  const supersededAts: Array<number | null> = new Array(live.length).fill(null);
  for (let i = live.length - 2, earliest = Infinity; i >= 0; i--) {
    earliest = Math.min(earliest, live[i + 1]!.activatesAt);
    supersededAts[i] = earliest;
  }
  const scheduled = live.map((key, index): ScheduledKey<K> => {
    const supersededAt = supersededAts[index]!;
    const neverSigned = supersededAt !== null && supersededAt <= key.activatesAt;
    const computed = supersededAt === null ? null : neverSigned ? supersededAt : supersededAt + verifyWindowMs;
    const retiresAt = key.retiredAt === null ? computed : computed === null ? key.retiredAt : Math.min(key.retiredAt, computed);
    return { key, supersededAt, retiresAt };
  });
  const gone = retired.sort(byRotationOrder).map((key): ScheduledKey<K> => ({ key, supersededAt: null, retiresAt: key.retiredAt }));
  return [...gone, ...scheduled];
}

export function keyStateAt(scheduled: ScheduledKey<KeyTimes>, now: number): KeyState {
  if (scheduled.retiresAt !== null && now >= scheduled.retiresAt) return 'retired';
  if (scheduled.key.activatesAt > now) return 'pending';
  if (scheduled.supersededAt !== null && scheduled.supersededAt <= now) return 'verifying-only';
  return 'active';
}
