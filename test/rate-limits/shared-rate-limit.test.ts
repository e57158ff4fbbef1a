import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { perUserRateLimit } from '../../src/http/rate-limit.js';
import type { RateLimitsRepository } from '../../src/rate-limits/rate-limits.repository.js';
import { rateLimitHitsTable } from '../../src/rate-limits/rate-limits.table.js';
import { createWpsSandbox } from '../../src/sandbox/index.js';
import { createManualClock } from '../../src/shared/clock.js';
import { errors } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { startAgentHarness } from '../support/agent-harness.js';

const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('per-user rate limits across instances', () => {
  it('two instances on one database share one limit per user, and a new minute restores it', async () => {
    // Mid-minute, so the requests below all fall into one window.
    const clock = createManualClock(Math.floor(Date.now() / 60_000) * 60_000 + 10_000);
    const sandbox = await createWpsSandbox({ clock, allowLoopbackRedirects: true });
    cleanups.push(() => sandbox.close());
    const env = { RATE_LIMIT_PER_MINUTE: '3' };
    const first = await startAgentHarness({ sandbox, clock, env });
    cleanups.push(() => first.close());
    const second = await startAgentHarness({ sandbox, clock, env, dataDir: first.dataDir });
    cleanups.push(() => second.close());
    const user = await first.createUser('ann');
    expect((await first.connectWps(user.apiKey, 'alice')).status).toBe(200);

    const alternate = (count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, index) =>
          (index % 2 ? second : first).api(user.apiKey, 'POST', '/v1/tools/call', search),
        ),
      );
    const answers = await alternate(5);
    const statuses = answers.map((answer) => answer.status).sort();
    // Counted per instance, each would have allowed all five.
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = answers.find((answer) => answer.status === 429)!;
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-policy')).toBe('3;w=60');

    const ben = await first.createUser('ben');
    await second.api(ben.apiKey, 'POST', '/v1/tools/call', search);

    clock.advance(60_000);
    expect((await alternate(2)).map((answer) => answer.status)).toEqual([200, 200]);
    // Housekeeping: the first hits of a new window delete the counters of past ones (ben's is stale).
    const keys = () =>
      first.db
        .select()
        .from(rateLimitHitsTable)
        .all()
        .map((row) => row.key);
    await vi.waitFor(() => expect(keys()).toEqual([`costly:${user.id}`]));
  });
});

describe('when the counters cannot be read', () => {
  it('lets the request through and logs a warning instead of failing it', async () => {
    const failing: RateLimitsRepository = {
      hit: async () => {
        throw errors.unavailable(new Error('SQLITE_BUSY'));
      },
      decrement: async () => {},
      reset: async () => {},
      deleteWindowsBefore: async () => 0,
    };
    const logs: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: { write: (line: string) => logs.push(line) },
    });
    const app = express();
    app.use((_request, response, next) => {
      response.locals.user = { id: 'usr_ann' };
      next();
    });
    app.post(
      '/costly',
      perUserRateLimit({
        name: 'costly',
        perMinute: 1,
        dependencies: { repository: failing, clock: createManualClock(), logger },
      }),
      (_request, response) => {
        response.json({ ran: true });
      },
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await fetch(`${url}/costly`, { method: 'POST' });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ ran: true });
    }
    const warnings = logs.map((line) => JSON.parse(line)).filter((line) => line.level === 40);
    expect(warnings.some((line) => /error from store/.test(line.msg))).toBe(true);
  });
});
