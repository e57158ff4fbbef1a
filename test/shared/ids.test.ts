import { describe, expect, it } from 'vitest';
import { createId } from '../../src/shared/ids.js';

describe('ids', () => {
  it('stay prefixed, 96 random bits and distinct across refills of the random pool', () => {
    const ids = Array.from({ length: 2_000 }, () => createId('conv'));
    for (const id of ids) expect(id).toMatch(/^conv_[A-Za-z0-9_-]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Consecutive ids share no bytes: each takes its own slice of the pool.
    expect(ids[0]?.slice(5)).not.toBe(ids[1]?.slice(5));
  });
});
