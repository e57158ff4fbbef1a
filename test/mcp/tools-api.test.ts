import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/shared/clock.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { withinOneRateLimitWindow } from '../support/rate-limit-window.js';

let harness: AgentHarness;
afterEach(async () => {
  await harness?.close();
});

async function connected(options: Parameters<typeof startAgentHarness>[0] = {}) {
  harness = await startAgentHarness(options);
  const user = await harness.createUser('ann');
  expect((await harness.connectWps(user.apiKey, 'alice')).status).toBe(200);
  return user;
}

const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };

describe('GET /v1/tools', () => {
  it('lists the tools of every configured server, each with its server and input schema', async () => {
    const user = await connected();
    const { status, body } = await harness.api(user.apiKey, 'GET', '/v1/tools');
    expect(status).toBe(200);
    const byName = new Map(body.tools.map((tool: any) => [tool.name, tool]));
    expect(byName.get('kso_yundoc_search_yundoc')).toMatchObject({
      server: 'kso-yundoc',
      inputSchema: { type: 'object' },
    });
    expect(byName.get('kso_airpage_import_markdown_data')).toMatchObject({ server: 'kso-airpage' });
    expect(byName.get('kso_dbsheet_create_sheet_records')).toMatchObject({ server: 'kso-dbsheet' });
    expect(typeof (byName.get('kso_yundoc_search_yundoc') as any).description).toBe('string');
  });

  it('says which tools only read and which change WPS data', async () => {
    const user = await connected();
    const { body } = await harness.api(user.apiKey, 'GET', '/v1/tools');
    const readOnly = new Map(body.tools.map((tool: any) => [tool.name, tool.readOnly]));
    expect(readOnly.get('kso_yundoc_extract_yundoc_content')).toBe(true);
    expect(readOnly.get('kso_dbsheet_list_sheet_records')).toBe(true);
    expect(readOnly.get('kso_airpage_import_markdown_data')).toBe(false);
    expect(readOnly.get('kso_dbsheet_update_sheet_records')).toBe(false);
  });

  it('only lists the servers WPS_MCP_SERVERS names', async () => {
    const user = await connected({ env: { WPS_MCP_SERVERS: 'kso-dbsheet' } });
    const { body } = await harness.api(user.apiKey, 'GET', '/v1/tools');
    expect(new Set(body.tools.map((tool: any) => tool.server))).toEqual(new Set(['kso-dbsheet']));
  });

  it('serves the list from cache, and refreshes it when a server announces tools/list_changed', async () => {
    const user = await connected();
    await harness.api(user.apiKey, 'GET', '/v1/tools');
    harness.sandbox.resetCounts();
    await harness.api(user.apiKey, 'GET', '/v1/tools');
    expect(harness.sandbox.requestCounts().mcp['kso-yundoc']?.['tools/list'] ?? 0).toBe(0);
    harness.sandbox.setToolEnabled('kso-yundoc', 'kso_yundoc_extract_yundoc_comment', false);
    await expect
      .poll(async () => {
        const { body } = await harness.api(user.apiKey, 'GET', '/v1/tools');
        return body.tools.some((tool: any) => tool.name === 'kso_yundoc_extract_yundoc_comment');
      })
      .toBe(false);
  });

  const streamsPerServer = () =>
    Object.fromEntries(
      Object.entries(harness.sandbox.requestCounts().mcp).map(([server, counts]) => [
        server,
        counts?.GET ?? 0,
      ]),
    );
  const lists = async (apiKey: string, tool: string) =>
    (await harness.api(apiKey, 'GET', '/v1/tools')).body.tools.some((listed: any) => listed.name === tool);
  const comment = 'kso_yundoc_extract_yundoc_comment';

  it('holds one notification stream per server for all users, and a change it announces reaches every list', async () => {
    const ann = await connected();
    const ben = await harness.createUser('ben');
    expect((await harness.connectWps(ben.apiKey, 'bob')).status).toBe(200);
    await harness.api(ann.apiKey, 'GET', '/v1/tools');
    const servers = Object.keys(harness.sandbox.requestCounts().mcp);
    expect(servers.length).toBeGreaterThan(1);
    await expect.poll(streamsPerServer).toEqual(Object.fromEntries(servers.map((server) => [server, 1])));
    await harness.api(ben.apiKey, 'GET', '/v1/tools');
    expect(harness.services.pool.stats()).toMatchObject({ connections: 2 * servers.length });
    // Ben's sessions are open and used; had they asked for a stream, it would have reached WPS by now.
    expect((await harness.api(ben.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(streamsPerServer()).toEqual(Object.fromEntries(servers.map((server) => [server, 1])));

    harness.sandbox.setToolEnabled('kso-yundoc', comment, false);
    await expect.poll(() => lists(ben.apiKey, comment)).toBe(false);
    expect(await lists(ann.apiKey, comment)).toBe(false);
  });

  it('hands the stream to the next session opened when the listening one closes', async () => {
    const ann = await connected();
    await harness.api(ann.apiKey, 'GET', '/v1/tools');
    const ben = await harness.createUser('ben');
    expect((await harness.connectWps(ben.apiKey, 'bob')).status).toBe(200);
    await harness.api(ben.apiKey, 'GET', '/v1/tools');
    await expect.poll(() => streamsPerServer()['kso-yundoc']).toBe(1);

    expect((await harness.api(ann.apiKey, 'DELETE', '/v1/wps/connection')).status).toBe(204);
    const cleo = await harness.createUser('cleo');
    expect((await harness.connectWps(cleo.apiKey, 'alice')).status).toBe(200);
    await harness.api(cleo.apiKey, 'GET', '/v1/tools');
    await expect.poll(() => streamsPerServer()['kso-yundoc']).toBe(2);

    // Ben's cached list (minutes of TTL) is dropped by what Cleo's session hears.
    expect(await lists(ben.apiKey, comment)).toBe(true);
    harness.sandbox.setToolEnabled('kso-yundoc', comment, false);
    await expect.poll(() => lists(ben.apiKey, comment)).toBe(false);
  });

  it('shares one copy of a tool list between users whose lists are equal, and a changed list is a new copy', async () => {
    const ann = await connected();
    const ben = await harness.createUser('ben');
    expect((await harness.connectWps(ben.apiKey, 'bob')).status).toBe(200);
    const annTools = await harness.services.catalog.list(ann.id);
    const benTools = await harness.services.catalog.list(ben.id);
    expect(benTools).toBe(annTools);

    harness.sandbox.setToolEnabled('kso-yundoc', comment, false);
    await expect
      .poll(async () => (await harness.services.catalog.list(ben.id)).length)
      .toBe(annTools.length - 1);
    const changed = await harness.services.catalog.list(ann.id);
    expect(changed).toBe(await harness.services.catalog.list(ben.id));
    expect(changed.some((tool) => tool.name === comment)).toBe(false);
    expect(annTools.some((tool) => tool.name === comment)).toBe(true);
  });

  it('needs an API key', async () => {
    harness = await startAgentHarness();
    const response = await fetch(`${harness.url}/v1/tools`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error.code).toBe('unauthorized');
    const wrong = await fetch(`${harness.url}/v1/tools`, { headers: { authorization: 'Bearer wpsa_nope' } });
    expect(wrong.status).toBe(401);
  });
});

describe('POST /v1/tools/call', () => {
  it('calls a tool and records it with source "direct"', async () => {
    const user = await connected();
    const { status, body } = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    expect(status).toBe(200);
    expect(body.toolCallId).toMatch(/^call_/);
    expect(body.result.content[0].type).toBe('text');
    const calls = await harness.api(user.apiKey, 'GET', '/v1/tool-calls?source=direct');
    expect(calls.body.toolCalls[0]).toMatchObject({
      id: body.toolCallId,
      name: 'kso_yundoc_search_yundoc',
      server: 'kso-yundoc',
      arguments: { keyword: 'Q3' },
      isError: false,
      status: 'ok',
      source: 'direct',
      conversationId: null,
    });
    expect(calls.body.toolCalls[0].result).toEqual(body.result);
    expect(calls.body.toolCalls[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  it('edits persist: read, overwrite with import_markdown_data, read again', async () => {
    const user = await connected();
    const found = JSON.parse(
      (await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).body.result.content[0].text,
    );
    const file = found.items[0].file;
    const markdown = '# Q3 Plan\n\n## Risks\n\n- Hiring may slip\n';
    const written = await harness.api(user.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_airpage_import_markdown_data',
      arguments: { file_id: file.id, markdown_content: markdown },
    });
    expect(written.status).toBe(200);
    const read = await harness.api(user.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_yundoc_extract_yundoc_content',
      arguments: { drive_id: file.drive_id, file_id: file.id },
    });
    expect(JSON.parse(read.body.result.content[0].text).markdown).toContain('## Risks');
  });

  it('rejects arguments that do not match the input schema, before calling WPS', async () => {
    const user = await connected();
    harness.sandbox.resetCounts();
    const { status, body } = await harness.api(user.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_yundoc_search_yundoc',
      arguments: { page_size: 'ten' },
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'keyword', message: 'is required' })]),
    );
    expect(harness.sandbox.requestCounts().mcp['kso-yundoc']?.['tools/call'] ?? 0).toBe(0);
  });

  it('answers tool_not_found for an unknown tool and validation_failed for a bad body', async () => {
    const user = await connected();
    const unknown = await harness.api(user.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_nope',
      arguments: {},
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('tool_not_found');
    const noName = await harness.api(user.apiKey, 'POST', '/v1/tools/call', { arguments: {} });
    expect(noName.status).toBe(400);
    expect(noName.body.error.code).toBe('validation_failed');
    const broken = await fetch(`${harness.url}/v1/tools/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as any).error.code).toBe('validation_failed');
  });

  it('passes a tool error through as an isError result', async () => {
    const user = await connected();
    const { status, body } = await harness.api(user.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_yundoc_get_file_meta',
      arguments: { file_id: 'does-not-exist' },
    });
    expect(status).toBe(200);
    expect(body.result.isError).toBe(true);
    const calls = await harness.api(user.apiKey, 'GET', '/v1/tool-calls?status=error');
    expect(calls.body.toolCalls[0]).toMatchObject({ id: body.toolCallId, isError: true, status: 'error' });
  });

  it('times out a hanging call after MCP_CALL_TIMEOUT_MS and records it as timeout', async () => {
    const user = await connected({ env: { MCP_CALL_TIMEOUT_MS: '400' } });
    await harness.api(user.apiKey, 'GET', '/v1/tools');
    harness.sandbox.failNext('mcp', 1, 'hang');
    const { status, body } = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    expect(status).toBe(502);
    expect(body.error.code).toBe('upstream_unavailable');
    const calls = await harness.api(user.apiKey, 'GET', '/v1/tool-calls?status=timeout');
    expect(calls.body.toolCalls).toHaveLength(1);
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
  });

  it('answers upstream_unavailable when WPS fails', async () => {
    const user = await connected();
    await harness.api(user.apiKey, 'GET', '/v1/tools');
    harness.sandbox.failNext('mcp', 1, 'error');
    const { status, body } = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    expect(status).toBe(502);
    expect(body.error.code).toBe('upstream_unavailable');
  });
});

describe('MCP transports', () => {
  it('WPS_MCP_TRANSPORT=sse uses the legacy SSE transport', async () => {
    const user = await connected({
      env: { WPS_MCP_TRANSPORT: 'sse' },
      sandboxOptions: { transports: { streamableHttp: false } },
    });
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
  });

  it('auto falls back to legacy SSE when Streamable HTTP is refused', async () => {
    const user = await connected({ sandboxOptions: { transports: { streamableHttp: false } } });
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    harness.sandbox.dropMcpSessions();
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
  });

  it('reuses one pooled connection per user and server across requests', async () => {
    const user = await connected();
    await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    harness.sandbox.resetCounts();
    for (let index = 0; index < 5; index++) await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    const counts = harness.sandbox.requestCounts().mcp['kso-yundoc'] ?? {};
    expect(counts.initialize ?? 0).toBe(0);
    expect(counts['tools/call']).toBe(5);
    expect(harness.services.pool.stats().connections).toBe(3);
  });
});

describe('pooled connections over time', () => {
  it('closes a connection left idle past MCP_IDLE_TIMEOUT_MS and reopens it on the next call', async () => {
    const clock = createManualClock(Date.now());
    const user = await connected({ clock, env: { MCP_IDLE_TIMEOUT_MS: '1000' } });
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(harness.services.pool.stats().connections).toBe(3);
    clock.advance(5_000);
    await expect.poll(() => harness.services.pool.stats().connections, { timeout: 3_000 }).toBe(0);
    harness.sandbox.resetCounts();
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(harness.sandbox.requestCounts().mcp['kso-yundoc']?.initialize).toBe(1);
  });

  it('at most one connect is in flight per user and server, however many calls arrive at once', async () => {
    const user = await connected();
    harness.sandbox.resetCounts();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => harness.api(user.apiKey, 'POST', '/v1/tools/call', search)),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const counts = harness.sandbox.requestCounts().mcp;
    expect(counts['kso-yundoc']?.initialize).toBe(1);
    expect(counts['kso-airpage']?.initialize).toBe(1);
    expect(counts['kso-yundoc']?.['tools/list']).toBe(1);
  });
});

describe('rate limits', () => {
  it('answers rate_limited after RATE_LIMIT_PER_MINUTE costly calls per user, leaving other users alone', async () => {
    const user = await connected({ env: { RATE_LIMIT_PER_MINUTE: '2' } });
    await withinOneRateLimitWindow(5_000);
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    const limited = await harness.api(user.apiKey, 'POST', '/v1/tools/call', search);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-policy')).toBe('2;w=60');
    expect(limited.headers.get('ratelimit')).toMatch(/^limit=2, remaining=0, reset=\d+$/);
    // Reads are not limited, and another user has their own budget.
    expect((await harness.api(user.apiKey, 'GET', '/v1/tool-calls')).status).toBe(200);
    const other = await harness.createUser('ben');
    expect((await harness.connectWps(other.apiKey, 'bob')).status).toBe(200);
    expect((await harness.api(other.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
  });
});

describe('a configured server that fails', () => {
  it('is left out of the tool list while the others keep working', async () => {
    const user = await connected({
      env: { WPS_MCP_SERVERS: 'kso-yundoc,kso-nope', WPS_SCOPES: 'kso.mcp_yundoc.readwrite' },
    });
    const { status, body } = await harness.api(user.apiKey, 'GET', '/v1/tools');
    expect(status).toBe(200);
    expect(new Set(body.tools.map((tool: any) => tool.server))).toEqual(new Set(['kso-yundoc']));
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(harness.logs.some((line) => line.includes('tools/list failed') && line.includes('kso-nope'))).toBe(
      true,
    );
  });

  it('answers upstream_unavailable when no server can be reached', async () => {
    const user = await connected({
      env: { WPS_MCP_SERVERS: 'kso-nope', WPS_SCOPES: 'kso.mcp_yundoc.readwrite' },
    });
    const { status, body } = await harness.api(user.apiKey, 'GET', '/v1/tools');
    expect(status).toBe(502);
    expect(body.error.code).toBe('upstream_unavailable');
  });
});
