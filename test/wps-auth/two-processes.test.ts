import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createWpsSandbox, type WpsSandbox } from '../../src/sandbox/index.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { sandboxEnvironment, startServerProcess } from '../support/server-process.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('two server processes on one database', () => {
  it('refresh once between them when the token nears expiry, and both keep working', async () => {
    // Tokens live 8 s and are refreshed at half their lifetime: after ~4 s both processes want a refresh.
    const sandbox: WpsSandbox = await createWpsSandbox({
      allowLoopbackRedirects: true,
      accessTokenTtlSeconds: 8,
    });
    cleanups.push(() => sandbox.close());
    const harness: AgentHarness = await startAgentHarness({
      sandbox,
      env: { TOKEN_REFRESH_MARGIN_SECONDS: '300' },
    });
    cleanups.push(() => harness.close());
    const user = await harness.createUser('ann');
    expect((await harness.connectWps(user.apiKey, 'alice')).status).toBe(200);

    const server = await startServerProcess({
      DATA_DIR: harness.dataDir,
      ...sandboxEnvironment(sandbox),
    });
    cleanups.push(async () => {
      await server.stop();
    });

    const call = (base: string) =>
      fetch(`${base}/v1/tools/call`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }),
      }).then((response) => response.status);
    await sleep(4_200);
    sandbox.resetCounts();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, index) => call(index % 2 ? harness.url : server.url)),
    );
    expect(statuses).toEqual(Array(20).fill(200));
    expect(sandbox.requestCounts().token.refresh_token).toBe(1);
    // The winner's pair is what both processes now use: a later call from each needs no new refresh.
    expect(await call(server.url)).toBe(200);
    expect(await call(harness.url)).toBe(200);
    expect(sandbox.requestCounts().token.refresh_token).toBe(1);
    expect(server.output()).not.toMatch(/"level":50/);
  }, 30_000);
});
