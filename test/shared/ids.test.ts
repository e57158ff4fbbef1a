import { describe, expect, it } from 'vitest';
import { createId } from '../../src/shared/ids.js';

describe('ids', () => {
  it('stay prefixed, 96 random bits and distinct across refills of the random pool', () => {
    const ids = Array.from({ length: 2_000 }, () => createId('conv'));
    for (const id of ids) expect(id).toMatch(/^conv_[A-Za-z0-9_-]{8}[A-Za-z0-9_-]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Consecutive ids share no random bytes: each takes its own slice of the pool.
    expect(ids[0]?.slice(13)).not.toBe(ids[1]?.slice(13));
  });

  it("sort by creation time byte by byte (SQLite's text order, and PostgreSQL's C collation)", () => {
    const times = [0, 1, 63, 64, 1_000, 1_764_000_000_000, 1_764_000_000_001, 1_764_000_060_000, 2 ** 47];
    const ids = times.map((time) => createId('msg', time));
    const byteOrder = [...ids].sort((left, right) => Buffer.compare(Buffer.from(left), Buffer.from(right)));
    expect(byteOrder).toEqual(ids);
    // The same millisecond: the random part decides, and the time part is shared.
    expect(createId('msg', 1_000).slice(0, 12)).toBe(ids[4]?.slice(0, 12));
  });
});
