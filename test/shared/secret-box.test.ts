import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, keyIdOf, UnknownSealingKeyError } from '../../src/shared/secret-box.js';
import { sealV1 } from '../support/sealed-v1.js';

/** Every encoding of a key that could end up in a message by mistake. */
function encodingsOf(key: Buffer): string[] {
  return [key.toString('base64'), key.toString('base64url'), key.toString('hex')];
}

describe('sealing tokens at rest', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips, and sealing the same token twice gives different ciphertexts', () => {
    const token = 'eyJhbGciOiJFUzI1NiJ9.payload.signature';
    const first = box.seal(token);
    expect(box.open(first)).toBe(token);
    expect(box.seal(token)).not.toBe(first);
    expect(first).not.toContain('payload');
  });

  it('refuses a ciphertext that was tampered with or sealed under another key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('XXXXXX').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    const tag = sealed.split('.');
    tag[3] = Buffer.alloc(16).toString('base64url');
    expect(() => box.open(tag.join('.'))).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  it('refuses a value that is not a sealed value at all', () => {
    expect(() => box.open('plain-token')).toThrow('Unrecognised sealed value.');
    expect(() => box.open('v2.onlythree.parts')).toThrow('Unrecognised sealed value.');
  });
});

describe('key ids and rotation', () => {
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);

  it('names the sealing key in the value: v2, then an id that differs per key and is stable', () => {
    const sealedA = createSecretBox(keyA).seal('token');
    const sealedB = createSecretBox(keyB).seal('token');
    const [version, idA] = sealedA.split('.');
    expect(version).toBe('v2');
    expect(sealedA.split('.')).toHaveLength(5);
    expect(idA).toBe(keyIdOf(keyA));
    expect(createSecretBox(keyA).currentKeyId).toBe(idA);
    expect(sealedB.split('.')[1]).toBe(keyIdOf(keyB));
    expect(keyIdOf(keyA)).not.toBe(keyIdOf(keyB));
    // Short, and no encoding of the key (nor a prefix of one) shows through.
    expect(idA).toMatch(/^[A-Za-z0-9_-]{11}$/);
    for (const encoding of encodingsOf(keyA)) expect(encoding).not.toContain(idA);
  });

  it('opens a value sealed under the old key while that key is among the previous keys', () => {
    const underA = createSecretBox(keyA).seal('refresh-token-under-A');
    const rotated = createSecretBox({ current: keyB, previous: [keyA] });
    expect(rotated.open(underA)).toBe('refresh-token-under-A');
    expect(rotated.sealedWithCurrentKey(underA)).toBe(false);
    // What it seals now is under B, and an instance that has not restarted yet (A current, B unknown)
    // cannot open it: the reason every instance gets both keys before any of them seals with B.
    const underB = rotated.seal('refresh-token-under-B');
    expect(rotated.sealedWithCurrentKey(underB)).toBe(true);
    expect(createSecretBox({ current: keyB }).open(underB)).toBe('refresh-token-under-B');
    expect(() => createSecretBox(keyA).open(underB)).toThrow(UnknownSealingKeyError);
  });

  it('tells from the key id alone whether it holds the key a value names, current or previous', () => {
    const rotated = createSecretBox({ current: keyB, previous: [keyA] });
    expect(rotated.holdsKeyOf(createSecretBox(keyA).seal('token'))).toBe(true);
    expect(rotated.holdsKeyOf(rotated.seal('token'))).toBe(true);
    expect(rotated.holdsKeyOf(createSecretBox(randomBytes(32)).seal('token'))).toBe(false);
    // A v1 value names no key: only opening it tells.
    expect(rotated.holdsKeyOf(sealV1(keyA, 'token'))).toBe(false);
    expect(rotated.holdsKeyOf(`v2.${keyIdOf(keyA)}.too-few-parts`)).toBe(false);
    expect(rotated.holdsKeyOf('garbage')).toBe(false);
  });

  it('fails clearly, naming the key id and never the key, once the old key is dropped', () => {
    const underA = createSecretBox(keyA).seal('token');
    const withoutA = createSecretBox({ current: keyB, previous: [randomBytes(32)] });
    let failure: unknown;
    try {
      withoutA.open(underA);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(UnknownSealingKeyError);
    const { message, keyId } = failure as UnknownSealingKeyError;
    expect(keyId).toBe(keyIdOf(keyA));
    expect(message).toContain(keyIdOf(keyA));
    expect(message).toMatch(/neither the current token encryption key nor one of the previous keys/);
    for (const key of [keyA, keyB])
      for (const encoding of encodingsOf(key)) expect(message).not.toContain(encoding);
  });

  it('still opens v1 values written before key ids: with the current key, then each previous one', () => {
    expect(createSecretBox(keyA).open(sealV1(keyA, 'old-token'))).toBe('old-token');
    const rotated = createSecretBox({ current: keyB, previous: [randomBytes(32), keyA] });
    expect(rotated.open(sealV1(keyA, 'old-token'))).toBe('old-token');
    expect(rotated.sealedWithCurrentKey(sealV1(keyB, 'old-token'))).toBe(false);
    expect(() => createSecretBox(keyB).open(sealV1(keyA, 'old-token'))).toThrow(UnknownSealingKeyError);
    expect(() => createSecretBox(keyB).open(sealV1(keyA, 'old-token'))).toThrow(/v1/);
  });

  it('still refuses a tampered value whose key it knows', () => {
    const rotated = createSecretBox({ current: keyB, previous: [keyA] });
    const parts = createSecretBox(keyA).seal('token').split('.');
    parts[4] = Buffer.from('forged').toString('base64url');
    expect(() => rotated.open(parts.join('.'))).toThrow();
    expect(() => rotated.open(parts.join('.'))).not.toThrow(UnknownSealingKeyError);
  });

  it('refuses a key of the wrong length, current or previous', () => {
    expect(() => createSecretBox({ current: keyA, previous: [randomBytes(16)] })).toThrow(/32 bytes/);
    expect(() => createSecretBox(randomBytes(31))).toThrow(/32 bytes/);
  });
});
