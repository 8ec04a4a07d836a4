import type { Clock } from '../clock';
import { keyStateAt, scheduleKeys, type KeyWindow } from './key-schedule';
import { withKeyTimes } from './key-status';
import type { SigningKeyRepository } from '../storage/signing-keys';
import { generateSigningKey, loadSigningKey, type PublicJwk, type SigningAlgorithm, type SigningKey } from './signing-keys';

/**
 * How long a rotated key is published before it signs. Verifiers cache our JWKS for up to
 * its max-age (300 s, src/http/server.ts) and each Keycard instance re-reads the key table
 * every KEYS_RELOAD_INTERVAL (30 s by default): 10 minutes covers both with room to spare, so
 * no verifier meets a kid it has not seen yet (RFC 7517 §5 sets; rotation per RFC 8725 §3.5).
 */
export const DEFAULT_ACTIVATION_DELAY_MS = 10 * 60_000;

/**
 * The least time between two reloads asked for by unknown kids. A flood of forged kids costs one
 * read of the (small) key table per second per instance, never one per request.
 */
export const ON_DEMAND_RELOAD_INTERVAL_MS = 1_000;

/** The contract's defaults, ACCESS_TOKEN_TTL (15m) + CLOCK_TOLERANCE (5s); app.ts passes the configured ones. */
export const DEFAULT_VERIFY_WINDOW_MS = 15 * 60_000 + 5_000;

/** The keys this server signs and verifies with, decrypted once and held as KeyObjects. */
export interface KeySet {
  /** The active key: the one new tokens are signed with. */
  signingKey(): SigningKey;
  /**
   * Verification key by kid, if it may still verify. Only keys of our own set, and only a map
   * lookup: an unknown kid never reads storage, names a file or fetches a URL (RFC 8725 §3.10).
   */
  find(kid: string): SigningKey | undefined;
  /** Public parts of every key that may still verify a live token, pending ones included. */
  jwks(): { keys: PublicJwk[] };
  /** Re-reads the set from storage (another instance may have rotated) and retires keys no live token needs. */
  reload(): Promise<void>;
  /**
   * A reload asked for by a token whose kid is not in the set: another instance may have
   * activated a key (`keys:rotate --activate-in 0`) before this one's next KEYS_RELOAD_INTERVAL.
   * At most one per ON_DEMAND_RELOAD_INTERVAL_MS whatever the callers send, and concurrent
   * callers share it; the kid itself never reaches storage. True when a reload ran.
   */
  reloadForUnknownKid(): Promise<boolean>;
  /**
   * Publishes a new key at once; it signs from activatesAt on (default: after the activation
   * delay, or at once when nothing signs yet). Returns its kid.
   */
  rotate(options?: { activatesAt?: number }): Promise<string>;
  /** Rotates only if the newest key is older than maxAgeMs, across every instance; null when not due. */
  rotateIfOlderThan(maxAgeMs: number): Promise<string | null>;
}

export interface KeySetOptions {
  repository: SigningKeyRepository;
  encryptionKey: Buffer;
  clock: Clock;
  /** The algorithm of keys created from now on (JWT_ALG); keys keep the algorithm they were made with. */
  algorithm: SigningAlgorithm;
  /** ACCESS_TOKEN_TTL + CLOCK_TOLERANCE: how long a superseded key keeps verifying. @default DEFAULT_VERIFY_WINDOW_MS */
  verifyWindowMs?: number;
  /** @default DEFAULT_ACTIVATION_DELAY_MS */
  activationDelayMs?: number;
  /** @default ON_DEMAND_RELOAD_INTERVAL_MS */
  onDemandReloadIntervalMs?: number;
  /**
   * Whether an empty key table gets its first key here. Off in production: several instances
   * starting at once on one database would each create and sign with a key of their own, and
   * refuse each other's tokens until their next reload. There `keys:rotate` creates it once.
   * @default true
   */
  createFirstKey?: boolean;
}

/** Start-up without any signing key where none may be created (production). */
export class NoSigningKeyError extends Error {
  constructor() {
    super('no signing key in the database: create the first one with `npm run cli -- keys:rotate` (in production the server never creates keys at start-up)');
    this.name = 'NoSigningKeyError';
  }
}

type Entry = KeyWindow & { readonly key: SigningKey };

const isRetiredAt = (entry: KeyWindow, now: number) => entry.retiresAt !== null && now >= entry.retiresAt;

export async function createKeySet(options: KeySetOptions): Promise<KeySet> {
  const { repository, encryptionKey, clock, algorithm } = options;
  const verifyWindowMs = options.verifyWindowMs ?? DEFAULT_VERIFY_WINDOW_MS;
  const activationDelayMs = options.activationDelayMs ?? DEFAULT_ACTIVATION_DELAY_MS;

  // Signing order, retired keys left out. Decrypted keys are reused across reloads.
  let entries: Entry[] = [];
  let byKid = new Map<string, Entry>();
  let loads = 0;
  let committedLoad = 0;
  const onDemandReloadIntervalMs = options.onDemandReloadIntervalMs ?? ON_DEMAND_RELOAD_INTERVAL_MS;
  let lastOnDemandReload = -Infinity;
  let onDemandReload: Promise<boolean> | null = null;

  async function load(): Promise<void> {
    const thisLoad = ++loads;
    const now = clock.now();
    const schedule = scheduleKeys((await repository.list()).map(withKeyTimes), now, verifyWindowMs);
    const next: Entry[] = [];
    const newlyRetired: Array<{ kid: string; at: number }> = [];
    for (const scheduled of schedule) {
      if (keyStateAt(scheduled, now) === 'retired') {
        if (scheduled.key.retiredAt === null) newlyRetired.push({ kid: scheduled.key.kid, at: scheduled.retiresAt! });
        continue;
      }
      const key = byKid.get(scheduled.key.kid)?.key ?? loadSigningKey(scheduled.key.stored, encryptionKey);
      next.push({ key, supersededAt: scheduled.supersededAt, retiresAt: scheduled.retiresAt });
    }
    // A slower load that read storage before a newer one must not put an older view back.
    if (thisLoad < committedLoad) return;
    committedLoad = thisLoad;
    entries = next;
    byKid = new Map(next.map((entry) => [entry.key.kid, entry]));
    // Recorded at the time the key stopped being needed, so every instance writes the same value.
    for (const { kid, at } of newlyRetired) await repository.retire(kid, new Date(at));
  }

  function activeEntry(now: number): Entry | undefined {
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!;
      if (keyStateAt(entry, now) === 'active') return entry;
    }
    return undefined;
  }

  async function rotate(rotation: { activatesAt?: number } = {}): Promise<string> {
    const now = clock.now();
    const activatesAt = rotation.activatesAt ?? (activeEntry(now) ? now + activationDelayMs : now);
    const key = await generateSigningKey(algorithm, encryptionKey, { now, activatesAt });
    await repository.insert(key);
    await load();
    return key.kid;
  }

  async function rotateIfOlderThan(maxAgeMs: number): Promise<string | null> {
    const now = clock.now();
    const newest = Math.max(...entries.map((entry) => entry.key.createdAt));
    if (newest > now - maxAgeMs) return null;
    const key = await generateSigningKey(algorithm, encryptionKey, { now, activatesAt: now + activationDelayMs });
    const inserted = await repository.insertUnlessCreatedSince(key, new Date(now - maxAgeMs));
    await load();
    return inserted ? key.kid : null;
  }

  await load();
  const now = clock.now();
  if (entries.length === 0 && options.createFirstKey === false) throw new NoSigningKeyError();
  if (!activeEntry(now)) {
    // First start (contract.md: "dev signing keys generated on first run"): nobody can hold a
    // token yet, so there is no cache to wait for.
    await rotate({ activatesAt: now });
  } else if (entries.at(-1)!.key.alg !== algorithm) {
    // JWT_ALG changed: the new key is published first and signs after the usual delay.
    await rotate();
  }

  return {
    signingKey() {
      const entry = activeEntry(clock.now());
      if (!entry) throw new Error('no active signing key');
      return entry.key;
    },
    find(kid) {
      const entry = byKid.get(kid);
      return entry && !isRetiredAt(entry, clock.now()) ? entry.key : undefined;
    },
    jwks() {
      const now = clock.now();
      return { keys: entries.filter((entry) => !isRetiredAt(entry, now)).map((entry) => entry.key.publicJwk) };
    },
    reload: load,
    reloadForUnknownKid() {
      if (onDemandReload) return onDemandReload;
      const now = clock.now();
      if (now - lastOnDemandReload < onDemandReloadIntervalMs) return Promise.resolve(false);
      lastOnDemandReload = now;
      // A failed read keeps the current set, as the timed reload does (src/keys/key-maintenance.ts).
      onDemandReload = load().then(
        () => true,
        () => false,
      );
      void onDemandReload.finally(() => {
        onDemandReload = null;
      });
      return onDemandReload;
    },
    rotate,
    rotateIfOlderThan,
  };
}
