import os from 'node:os';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { createLimiter } from './concurrency';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the cost of a verify when there is no user, so timing does not reveal which emails exist. */
  verifyDummy(password: string): Promise<void>;
}

export interface Argon2Options {
  /** KiB. OWASP's argon2id minimum is 19 MiB with t=2, p=1. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const OWASP_ARGON2ID: Argon2Options = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

/** For tests only: still argon2id, with the smallest parameters the algorithm allows. */
export const FAST_TEST_ARGON2ID: Argon2Options = Object.freeze({ memoryCost: 64, timeCost: 1, parallelism: 1 });

/**
 * argon2id (RFC 9106, OWASP Password Storage). @node-rs/argon2 hashes on the libuv pool, off
 * the event loop; never call the *Sync variants on a request path.
 */
export function createArgon2Hasher(options: Argon2Options = OWASP_ARGON2ID, maxInFlight: number = defaultHashConcurrency()): PasswordHasher {
  const params = { algorithm: Algorithm.Argon2id, ...options };
  const limit = createLimiter(maxInFlight);
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
    async verifyDummy(password) {
      dummyHash ??= hash('keycard-dummy-password', params);
      const dummy = await dummyHash;
      await limit(() => verify(dummy, password)).catch(() => false);
    },
  };
}

/** As many hashes in flight as cores: the pool cannot go faster, and each extra one costs 19 MiB. */
export function defaultHashConcurrency(): number {
  return Math.max(1, os.availableParallelism());
}
