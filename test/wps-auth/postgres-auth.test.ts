import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/shared/clock.js';
import { startAgentHarness } from '../support/agent-harness.js';
import { hasPostgres, startTestDatabase, type TestDatabase } from '../support/postgres.js';
import { expectNoWpsSecretsLeaked } from '../support/secrets.js';

const TWO_HOURS = 2 * 60 * 60_000;
const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };

/** The auth side end to end on PostgreSQL: API keys, pending authorizations, WPS connections, refresh. */
describe.skipIf(!hasPostgres)('WPS authorization and refresh on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await startTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await database?.stop();
  });

  it('a user connects WPS, calls tools, and 20 calls after expiry cause exactly one refresh', async () => {
    const clock = createManualClock(Date.now());
    const harness = await startAgentHarness({
      clock,
      sandboxOptions: { clock },
      env: { DATABASE_URL: database.url },
    });
    try {
      expect(harness.database.dialect).toBe('postgres');
      const user = await harness.createUser('ann');
      expect((await harness.connectWps(user.apiKey, 'alice')).status).toBe(200);
      const responses: unknown[] = [];
      const first = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
      responses.push(first.body);
      expect(first.status).toBe(200);

      harness.sandbox.resetCounts();
      clock.advance(TWO_HOURS);
      const calls = await Promise.all(
        Array.from({ length: 20 }, () => harness.api(user.apiKey, 'POST', '/v1/tools/call', search)),
      );
      responses.push(...calls.map((call) => call.body));
      expect(calls.map((call) => call.status)).toEqual(Array(20).fill(200));
      expect(harness.sandbox.requestCounts().token.refresh_token).toBe(1);
      expectNoWpsSecretsLeaked(harness, responses);
    } finally {
      await harness.close();
    }
  });
});
