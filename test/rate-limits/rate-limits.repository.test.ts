import { expect, it } from 'vitest';
import { openPostgresDatabase } from '../../src/db/postgres-database.js';
import { createPostgresRateLimitsRepository } from '../../src/rate-limits/rate-limits.postgres.js';
import { type DatabaseFixture, describeOnEachDatabase } from '../support/test-databases.js';

const MINUTE = 60_000;
const WINDOW = 1_000 * MINUTE;

const repositoryOf = (fixture: DatabaseFixture) => fixture.repositories().rateLimits;

describeOnEachDatabase('rate limit counters', (fixture) => {
  it('counts hits per key within a window', async () => {
    const counters = repositoryOf(fixture);
    expect(await counters.hit('costly:ann', WINDOW)).toEqual({ hits: 1, windowStart: WINDOW });
    expect(await counters.hit('costly:ann', WINDOW)).toEqual({ hits: 2, windowStart: WINDOW });
    // Another user, or another limiter on the same user, counts on its own.
    expect((await counters.hit('costly:ben', WINDOW)).hits).toBe(1);
    expect((await counters.hit('wps-authorize:ann', WINDOW)).hits).toBe(1);
    expect((await counters.hit('costly:ann', WINDOW)).hits).toBe(3);
  });

  it('a hit in a newer window starts the count again at 1', async () => {
    const counters = repositoryOf(fixture);
    await counters.hit('costly:ann', WINDOW);
    await counters.hit('costly:ann', WINDOW);
    expect(await counters.hit('costly:ann', WINDOW + MINUTE)).toEqual({
      hits: 1,
      windowStart: WINDOW + MINUTE,
    });
    expect((await counters.hit('costly:ann', WINDOW + MINUTE)).hits).toBe(2);
  });

  it('a hit from an instance whose clock lags counts into the newer window instead of resetting it', async () => {
    const counters = repositoryOf(fixture);
    await counters.hit('costly:ann', WINDOW + MINUTE);
    expect(await counters.hit('costly:ann', WINDOW)).toEqual({ hits: 2, windowStart: WINDOW + MINUTE });
  });

  it('decrement takes a hit back in the same window only; reset forgets the key', async () => {
    const counters = repositoryOf(fixture);
    await counters.hit('costly:ann', WINDOW);
    await counters.hit('costly:ann', WINDOW);
    await counters.decrement('costly:ann', WINDOW);
    await counters.decrement('costly:ann', WINDOW - MINUTE);
    expect((await counters.hit('costly:ann', WINDOW)).hits).toBe(2);
    await counters.reset('costly:ann');
    expect((await counters.hit('costly:ann', WINDOW)).hits).toBe(1);
  });

  it('housekeeping deletes only the counters of past windows', async () => {
    const counters = repositoryOf(fixture);
    await counters.hit('costly:ann', WINDOW - MINUTE);
    await counters.hit('costly:ben', WINDOW - MINUTE);
    await counters.hit('costly:cy', WINDOW);
    await counters.hit('costly:cy', WINDOW);
    expect(await counters.deleteWindowsBefore(WINDOW)).toBe(2);
    expect((await counters.hit('costly:cy', WINDOW)).hits).toBe(3);
  });

  if (fixture.dialect === 'postgres') {
    it('concurrent hits from two connection pools count exactly, each seeing its own place', async () => {
      const peerDb = openPostgresDatabase(fixture.url());
      try {
        const mine = repositoryOf(fixture);
        const peer = createPostgresRateLimitsRepository({ db: peerDb });
        // Warm both pools so the hits below really overlap instead of queueing on connection set-up.
        await Promise.all([mine.hit('warm', WINDOW), peer.hit('warm', WINDOW)]);
        const counts = await Promise.all(
          Array.from({ length: 200 }, (_, index) => (index % 2 ? mine : peer).hit('costly:ann', WINDOW)),
        );
        expect(counts.map((count) => count.hits).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 200 }, (_, index) => index + 1),
        );
      } finally {
        await peerDb.$client.end();
      }
    });
  }
});
