import type { IncrementResponse, Options, Store } from 'express-rate-limit';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { RateLimitsRepository } from './rate-limits.repository.js';

/**
 * An express-rate-limit store on the shared `rate_limit_hits` table: every instance on the database counts
 * into the same fixed windows (aligned to the window length on the epoch, so peers agree on them). One
 * statement per counted request; about once a window each store also deletes the counters of past windows
 * (fire and forget), which keeps the table at roughly one row per recently active user and limiter.
 */
export class DatabaseRateLimitStore implements Store {
  /** Counts are shared: a key incremented here is seen by every other instance's store. */
  readonly localKeys = false;
  private windowMs = 60_000;
  private sweptBefore = 0;

  constructor(
    /** Names the limiter: two limiters on the same user keep separate counts. */
    readonly prefix: string,
    private readonly dependencies: { repository: RateLimitsRepository; clock: Clock; logger: Logger },
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const windowStart = this.currentWindowStart();
    const count = await this.dependencies.repository.hit(this.prefix + key, windowStart);
    if (windowStart > this.sweptBefore) this.sweepBefore(windowStart);
    return { totalHits: count.hits, resetTime: new Date(count.windowStart + this.windowMs) };
  }

  async decrement(key: string): Promise<void> {
    await this.dependencies.repository.decrement(this.prefix + key, this.currentWindowStart());
  }

  async resetKey(key: string): Promise<void> {
    await this.dependencies.repository.reset(this.prefix + key);
  }

  private currentWindowStart(): number {
    const now = this.dependencies.clock.now();
    return now - (now % this.windowMs);
  }

  private sweepBefore(windowStart: number): void {
    this.sweptBefore = windowStart;
    this.dependencies.repository.deleteWindowsBefore(windowStart).catch((error: unknown) => {
      this.dependencies.logger.warn({ err: error }, 'deleting stale rate limit counters failed');
    });
  }
}
