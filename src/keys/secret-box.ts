import crypto from 'node:crypto';

// AES-256-GCM with a random 96-bit nonce (NIST SP 800-38D). The format is versioned so the
// cipher can change without guessing: v1.<nonce>.<ciphertext>.<tag>, each base64url.
const VERSION = 'v1';

export function seal(key: Buffer, plaintext: Buffer, associatedData: string): string {
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [VERSION, nonce, ciphertext, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** Returns null when the box was sealed with another key or tampered with. */
export function open(key: Buffer, sealed: string, associatedData: string): Buffer | null {
  const [version, nonce, ciphertext, tag] = sealed.split('.');
  if (version !== VERSION || !nonce || ciphertext === undefined || !tag) return null;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  } catch {
    return null;
  }
}
