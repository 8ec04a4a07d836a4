import { createArgon2Hasher, FAST_TEST_ARGON2ID, type PasswordHasher } from '../../src/accounts/password';

export interface CountingHasher extends PasswordHasher {
  /** Every password check: verifies + dummyVerifies. */
  readonly checks: number;
  /** Checks against a stored hash (a real user's). */
  readonly verifies: number;
  /** Checks against the dummy hash (no such user): the same argon2 cost, spent on nothing. */
  readonly dummyVerifies: number;
  /** New hashes made (signup, password change, rehash at login). */
  readonly hashes: number;
}

/** The fast test argon2id, counting every password check (a real user's or the dummy one) and every new hash. */
export function countingHasher(): CountingHasher {
  const inner = createArgon2Hasher(FAST_TEST_ARGON2ID);
  let verifies = 0;
  let dummyVerifies = 0;
  let hashes = 0;
  return {
    get checks() {
      return verifies + dummyVerifies;
    },
    get verifies() {
      return verifies;
    },
    get dummyVerifies() {
      return dummyVerifies;
    },
    get hashes() {
      return hashes;
    },
    hash(password) {
      hashes += 1;
      return inner.hash(password);
    },
    needsRehash: (hash) => inner.needsRehash(hash),
    verify(hash, password) {
      verifies += 1;
      return inner.verify(hash, password);
    },
    verifyDummy(password) {
      dummyVerifies += 1;
      return inner.verifyDummy(password);
    },
  };
}
