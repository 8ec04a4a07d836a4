import type { Clock } from '../clock';
import type { SigningKeyRepository } from './signing-key.repository';
import { generateSigningKey, loadSigningKey, type PublicJwk, type SigningAlgorithm, type SigningKey } from './signing-keys';

/** The keys this server signs and verifies with, decrypted once and held as KeyObjects. */
export interface KeySet {
  /** The newest active key: the one new tokens are signed with. */
  signingKey(): SigningKey;
  /** Verification key by kid; only keys of our own set, so a kid never names a file or a URL. */
  find(kid: string): SigningKey | undefined;
  /** Public parts of every key that may still verify a live token. */
  jwks(): { keys: PublicJwk[] };
  /** Re-reads the set from storage (another instance may have rotated). */
  reload(): Promise<void>;
  /** Adds a key that signs from activatesAt on; returns its kid. */
  rotate(options?: { activatesAt?: number }): Promise<string>;
}

export interface KeySetOptions {
  repository: SigningKeyRepository;
  encryptionKey: Buffer;
  clock: Clock;
  algorithm: SigningAlgorithm;
}

export async function createKeySet(options: KeySetOptions): Promise<KeySet> {
  const { repository, encryptionKey, clock, algorithm } = options;
  let byKid = new Map<string, SigningKey>();
  let ordered: SigningKey[] = [];

  async function load(): Promise<void> {
    const stored = await repository.list();
    const live = stored.filter((k) => k.retiredAt === null || k.retiredAt.getTime() > clock.now()).map((k) => loadSigningKey(k, encryptionKey));
    ordered = live.sort((a, b) => b.activatesAt - a.activatesAt || b.createdAt - a.createdAt);
    byKid = new Map(ordered.map((k) => [k.kid, k]));
  }

  async function rotate(rotation: { activatesAt?: number } = {}): Promise<string> {
    const key = generateSigningKey(algorithm, encryptionKey, { now: clock.now(), activatesAt: rotation.activatesAt });
    await repository.insert(key);
    await load();
    return key.kid;
  }

  await load();
  // First start: create the signing key (contract.md: "dev signing keys generated on first run").
  if (!ordered.some((k) => k.activatesAt <= clock.now())) await rotate();

  return {
    signingKey() {
      const now = clock.now();
      const key = ordered.find((k) => k.activatesAt <= now);
      if (!key) throw new Error('no active signing key');
      return key;
    },
    find: (kid) => byKid.get(kid),
    jwks: () => ({ keys: ordered.map((k) => k.publicJwk) }),
    reload: load,
    rotate,
  };
}
