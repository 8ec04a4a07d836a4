/** A signing key as stored: its private half sealed with a key derived from KEYCARD_SECRET. */
export interface StoredSigningKey {
  kid: string;
  alg: string;
  /** Public key as a JWK (JSON). */
  publicJwk: string;
  /** PKCS#8 DER private key, AES-256-GCM encrypted with a key derived from KEYCARD_SECRET. */
  privateKeyEncrypted: string;
  createdAt: Date;
  activatesAt: Date;
  retiredAt: Date | null;
}

export interface SigningKeyRepository {
  list(): Promise<StoredSigningKey[]>;
  insert(key: StoredSigningKey): Promise<void>;
  /**
   * Inserts the key only if no key was created after `since`: two instances that decide to
   * rotate at the same moment add one key between them, not two.
   */
  insertUnlessCreatedSince(key: StoredSigningKey, since: Date): Promise<boolean>;
  /** Marks a key retired; a key already retired keeps its first retirement time. */
  retire(kid: string, at: Date): Promise<void>;
}
