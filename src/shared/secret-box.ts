import { createCipheriv, createDecipheriv, hash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing for secrets at rest (WPS tokens, PKCE verifiers). The output is
 * `v1.<iv>.<tag>.<ciphertext>` in base64url, so a database copied off the machine reveals nothing usable
 * without the key, and any tampering fails authentication on open.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('The token encryption key must be 32 bytes.');
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), ciphertext]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [version, iv, tag, ciphertext] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || ciphertext === undefined)
        throw new Error('Unrecognised sealed value.');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}

/** A one-way fingerprint for lookups (API keys, OAuth state, refresh-token compare-and-set). */
export function sha256(value: string): string {
  // The one-shot form: no Hash object per call (every /v1 request hashes its API key).
  return hash('sha256', value, 'hex');
}

/** An unguessable random token in base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
