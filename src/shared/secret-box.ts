import { createCipheriv, createDecipheriv, createHmac, hash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing for secrets at rest (WPS tokens, PKCE verifiers, snapshots). The output is
 * `v2.<keyId>.<iv>.<tag>.<ciphertext>` in base64url, so a database copied off the machine reveals nothing
 * usable without the key, and any tampering fails authentication on open. The key id names the key that
 * sealed the value, so the key can be rotated: new values are sealed with the current key, older ones
 * still open with the previous keys they name.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** Whether `sealed` is already under the current key (a caller may re-seal it when it is not). */
  sealedWithCurrentKey(sealed: string): boolean;
  /**
   * Whether `sealed` names a key this box holds (a `v2` value under the current or a previous key), told
   * from its key id without decrypting: such a value opens unless it was tampered with. False for a `v1`
   * value, which names no key (only opening it tells), and for anything else.
   */
  holdsKeyOf(sealed: string): boolean;
  /** The current key's id (safe to show: it reveals nothing about the key). */
  readonly currentKeyId: string;
}

/** The current key seals and opens; previous keys (a rotation in progress) only open. */
export interface SecretKeyring {
  current: Buffer;
  previous?: readonly Buffer[];
}

/** A sealed value names a key that this process does not have (retired too early, or another fleet's). */
export class UnknownSealingKeyError extends Error {
  /** The id the value names, or undefined for a value sealed before key ids (`v1`) that no key opens. */
  readonly keyId: string | undefined;
  constructor(keyId: string | undefined, keyCount: number) {
    super(
      keyId
        ? `The value was sealed with key id ${keyId}, which is neither the current token encryption key nor one of the previous keys.`
        : `The value was sealed before key ids existed (v1) and none of the ${keyCount} configured token encryption keys opens it.`,
    );
    this.name = 'UnknownSealingKeyError';
    this.keyId = keyId;
  }
}

const KEY_ID_LABEL = 'wps-agent key id';

/**
 * A short stable fingerprint of a key: an HMAC keyed by the key itself, so the id cannot be computed
 * without the key and offers no shortcut to guessing it (a plain hash of the key would be a test oracle).
 */
export function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update(KEY_ID_LABEL).digest().subarray(0, 8).toString('base64url');
}

export function createSecretBox(keys: Buffer | SecretKeyring): SecretBox {
  const keyring = Buffer.isBuffer(keys) ? { current: keys, previous: [] } : keys;
  const ring = [keyring.current, ...(keyring.previous ?? [])];
  if (ring.some((key) => key.length !== 32)) throw new Error('Every token encryption key must be 32 bytes.');
  const currentKeyId = keyIdOf(keyring.current);
  // First one wins: a previous key listed again (or equal to the current one) changes nothing.
  const byId = new Map<string, Buffer>();
  for (const key of ring) {
    const keyId = keyIdOf(key);
    if (!byId.has(keyId)) byId.set(keyId, key);
  }
  const current = keyring.current;

  return {
    currentKeyId,
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        'v2',
        currentKeyId,
        ...[iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')),
      ].join('.');
    },
    open(sealed) {
      const parts = sealed.split('.');
      if (parts[0] === 'v2' && parts.length === 5) {
        const [, keyId = '', iv = '', tag = '', ciphertext = ''] = parts;
        const key = byId.get(keyId);
        if (!key) throw new UnknownSealingKeyError(keyId, byId.size);
        return decrypt(key, iv, tag, ciphertext);
      }
      if (parts[0] === 'v1' && parts.length === 4) {
        // Written before key ids: the current key first (most likely), then each previous one.
        const [, iv = '', tag = '', ciphertext = ''] = parts;
        for (const key of byId.values()) {
          try {
            return decrypt(key, iv, tag, ciphertext);
          } catch {
            // Authentication failed under this key: try the next one; none left is reported below.
          }
        }
        throw new UnknownSealingKeyError(undefined, byId.size);
      }
      throw new Error('Unrecognised sealed value.');
    },
    sealedWithCurrentKey(sealed) {
      return sealed.startsWith(`v2.${currentKeyId}.`);
    },
    holdsKeyOf(sealed) {
      const parts = sealed.split('.');
      return parts[0] === 'v2' && parts.length === 5 && byId.has(parts[1] ?? '');
    },
  };
}

/**
 * Opens `sealed`, or undefined when the key that sealed it is no longer configured: for values a page can
 * do without (a diff, a preview), so one retired key does not fail a whole transcript. Tampering still throws.
 */
export function openUnlessKeyRetired(box: SecretBox, sealed: string): string | undefined {
  try {
    return box.open(sealed);
  } catch (error) {
    if (error instanceof UnknownSealingKeyError) return undefined;
    throw error;
  }
}

function decrypt(key: Buffer, iv: string, tag: string, ciphertext: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
    'utf8',
  );
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
