import { keyStateAt, scheduleKeys, type KeyState, type KeyTimes } from './key-schedule';
import type { StoredSigningKey } from '../storage/signing-keys';

/** A stored key with its times in milliseconds, as the schedule reads them. */
export type TimedStoredKey = KeyTimes & { readonly stored: StoredSigningKey };

export function withKeyTimes(stored: StoredSigningKey): TimedStoredKey {
  return {
    kid: stored.kid,
    createdAt: stored.createdAt.getTime(),
    activatesAt: stored.activatesAt.getTime(),
    retiredAt: stored.retiredAt?.getTime() ?? null,
    stored,
  };
}

/** What an operator sees of a key (keys:list): no key material, public or private. */
export interface KeyStatus {
  kid: string;
  alg: string;
  state: KeyState;
  createdAt: Date;
  activatesAt: Date;
  /** When the next key took over signing; null while this one is the newest. */
  supersededAt: Date | null;
  /** When this key stops (or stopped) verifying; null while nothing supersedes it. */
  retiresAt: Date | null;
}

/** Every stored key, retired ones included, in rotation order, with its state at `now`. */
export function describeKeys(stored: readonly StoredSigningKey[], now: number, verifyWindowMs: number): KeyStatus[] {
  return scheduleKeys(stored.map(withKeyTimes), now, verifyWindowMs).map((scheduled) => ({
    kid: scheduled.key.kid,
    alg: scheduled.key.stored.alg,
    state: keyStateAt(scheduled, now),
    createdAt: scheduled.key.stored.createdAt,
    activatesAt: scheduled.key.stored.activatesAt,
    supersededAt: scheduled.supersededAt === null ? null : new Date(scheduled.supersededAt),
    retiresAt: scheduled.retiresAt === null ? null : new Date(scheduled.retiresAt),
  }));
}
