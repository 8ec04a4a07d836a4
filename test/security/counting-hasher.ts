import { createArgon2Hasher, FAST_TEST_ARGON2ID, type PasswordHasher } from '../../src/auth/password';

/** The fast test argon2id, counting every password check (a real user's or the dummy one) and every new hash. */
export function countingHasher(): PasswordHasher & { readonly checks: number; readonly hashes: number } {
  const inner = createArgon2Hasher(FAST_TEST_ARGON2ID);
  let checks = 0;
  let hashes = 0;
  return {
    get checks() {
      return checks;
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
      checks += 1;
      return inner.verify(hash, password);
    },
    verifyDummy(password) {
      checks += 1;
      return inner.verifyDummy(password);
    },
  };
}
