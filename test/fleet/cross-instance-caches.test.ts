import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWpsSandbox, type WpsSandbox } from '../../src/sandbox/index.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { hasPostgres, startTestDatabase, type TestDatabase } from '../support/postgres.js';

const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };

/**
 * What one instance keeps in memory (a fresh access token for up to 5 s, a user's tool list) must not
 * outlive a change made through another instance on the same PostgreSQL: the change is announced with
 * NOTIFY and every instance drops its copy at once.
 */
describe.skipIf(!hasPostgres)('caches across instances on one PostgreSQL', () => {
  let database: TestDatabase;
  let sandbox: WpsSandbox;
  let first: AgentHarness;
  let second: AgentHarness;
  beforeAll(async () => {
    database = await startTestDatabase();
    sandbox = await createWpsSandbox({ allowLoopbackRedirects: true });
    first = await startAgentHarness({ sandbox, env: { DATABASE_URL: database.url } });
    second = await startAgentHarness({ sandbox, env: { DATABASE_URL: database.url } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
    await sandbox?.close();
    await database?.stop();
  });

  it('a disconnect through one instance stops the other from using the token at once, not within 5 s', async () => {
    const user = await first.createUser('ann');
    expect((await first.connectWps(user.apiKey, 'alice')).status).toBe(200);
    // The second instance now remembers the user's access token (and has MCP sessions open).
    expect((await second.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(second.services.pool.stats().connections).toBeGreaterThan(0);

    expect((await first.api(user.apiKey, 'DELETE', '/v1/wps/connection')).status).toBe(204);
    // Inside the 5 s a remembered token used to live.
    await expect
      .poll(async () => (await second.api(user.apiKey, 'POST', '/v1/tools/call', search)).status, {
        timeout: 3_000,
        interval: 50,
      })
      .toBe(409);
    const refused = await second.api(user.apiKey, 'POST', '/v1/tools/call', search);
    expect(refused.body.error.code).toBe('wps_authorization_required');
    await expect.poll(() => second.services.pool.stats().connections, { timeout: 3_000 }).toBe(0);
  });

  it("a tool list change that only one instance hears drops the other instance's cached list", async () => {
    const user = await first.createUser('bob');
    expect((await first.connectWps(user.apiKey, 'bob')).status).toBe(200);
    const names = async (agent: AgentHarness) =>
      ((await agent.api(user.apiKey, 'GET', '/v1/tools')).body.tools as Array<{ name: string }>).map(
        (tool) => tool.name,
      );
    const tool = 'kso_airpage_import_markdown_data';
    expect(await names(first)).toContain(tool);
    expect(await names(second)).toContain(tool);
    // Only the first instance keeps MCP sessions open; the second has just its cached list.
    await second.services.pool.closeUser(user.id);
    try {
      sandbox.setToolEnabled('kso-airpage', tool, false);
      // The cache lives minutes (TOOLS_CACHE_TTL_MS): only the first instance's word can drop it this soon.
      await expect.poll(() => names(second), { timeout: 10_000, interval: 100 }).not.toContain(tool);
    } finally {
      sandbox.setToolEnabled('kso-airpage', tool, true);
    }
  });
});
