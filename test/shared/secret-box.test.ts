import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/shared/secret-box.js';

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
    parts[3] = Buffer.from('XXXXXX').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow();
  });
});
