import os from 'node:os';
import * as argon2 from '@node-rs/argon2';
import pLimit from 'p-limit';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when a stored hash was made with other parameters than this hasher's: rehash it at the next login. */
  needsRehash(hash: string): boolean;
  /** Spends the cost of a verify when there is no user, so timing does not reveal which emails exist. */
  verifyDummy(password: string): Promise<void>;
}

export interface Argon2Options {
  /** KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * One of OWASP's equivalent argon2id minimums (Password Storage cheat sheet: 19 MiB/t=2,
 * 12 MiB/t=3, 9 MiB/t=4, ... "provide an equal level of defense"). 12 MiB with t=3 costs the
 * same CPU time as 19 MiB with t=2 here (measured: ~165 vs ~155 verifies/s on two threads) and
 * 7 MiB less memory per hash in flight, which is what a login storm holds resident.
 */
export const OWASP_ARGON2ID: Argon2Options = Object.freeze({ memoryCost: 12288, timeCost: 3, parallelism: 1 });

/** For tests only: still argon2id, with the smallest parameters the algorithm allows. */
export const FAST_TEST_ARGON2ID: Argon2Options = Object.freeze({ memoryCost: 64, timeCost: 1, parallelism: 1 });

/** The two argon2 calls the hasher makes; a test wraps the real ones to count how many run at once. */
export interface Argon2Primitives {
  hash: typeof argon2.hash;
  verify: typeof argon2.verify;
}

/**
 * argon2id (RFC 9106, OWASP Password Storage). @node-rs/argon2 hashes on the libuv pool, off
 * the event loop; never call the *Sync variants on a request path. At most `maxInFlight`
 * hashes run at once (p-limit: a freed slot goes to the oldest waiter, never to a newcomer):
 * argon2id at 12 MiB is CPU- and memory-bound, so more than the cores only adds queueing,
 * event-loop jitter and 12 MiB of RSS each (ARGON2_CONCURRENCY).
 */
export function createArgon2Hasher(
  options: Argon2Options = OWASP_ARGON2ID,
  maxInFlight: number = defaultHashConcurrency(),
  { hash, verify }: Argon2Primitives = argon2,
): PasswordHasher {
  const params = { algorithm: argon2.Algorithm.Argon2id, ...options };
  const limit = pLimit(maxInFlight);
  // The PHC string names its parameters: $argon2id$v=19$m=12288,t=3,p=1$<salt>$<hash>.
  const currentParameters = `$argon2id$v=19$m=${options.memoryCost},t=${options.timeCost},p=${options.parallelism}$`;
  let dummyHash: Promise<string> | undefined;
  return {
    hash: (password) => limit(() => hash(password, params)),
    async verify(stored, password) {
      try {
        return await limit(() => verify(stored, password));
      } catch {
        // A malformed stored hash is a failed check, not a crash.
        return false;
      }
    },
    needsRehash: (stored) => !stored.startsWith(currentParameters),
    async verifyDummy(password) {
      // Made once, under the same limit as every other hash.
      dummyHash ??= limit(() => hash('keycard-dummy-password', params));
      const dummy = await dummyHash;
      await limit(() => verify(dummy, password)).catch(() => false);
    },
  };
}

/** As many hashes in flight as cores: the pool cannot go faster, and each extra one costs 12 MiB. */
export function defaultHashConcurrency(): number {
  return Math.max(1, os.availableParallelism());
}
