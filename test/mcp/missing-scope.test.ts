import { afterEach, describe, expect, it } from 'vitest';
import { type ChatHarness, startChatHarness } from '../support/chat-harness.js';
import { toolNamesOf } from '../support/scripted-model/index.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

/** The user grants yundoc and airpage but not dbsheet: WPS then answers 403 invalid_scope on kso-dbsheet. */
const withoutDbsheetScope = {
  env: {
    WPS_MCP_SERVERS: 'kso-yundoc,kso-airpage,kso-dbsheet',
    WPS_SCOPES: 'kso.mcp_yundoc.readwrite,kso.mcp_airpage.readwrite',
  },
};
const api = (method: string, route: string, body?: unknown) =>
  harness.agent.api(harness.user.apiKey, method, route, body);

describe('one WPS server refuses the token for a missing scope', () => {
  it('the other servers keep working, and the tool list says which server is missing and why', async () => {
    harness = await startChatHarness(withoutDbsheetScope);
    const tools = await api('GET', '/v1/tools');
    expect(tools.status).toBe(200);
    const servers = new Set(tools.body.tools.map((tool: any) => tool.server));
    expect(servers).toEqual(new Set(['kso-yundoc', 'kso-airpage']));
    expect(tools.body.servers).toEqual([
      { server: 'kso-yundoc', status: 'ok' },
      { server: 'kso-airpage', status: 'ok' },
      expect.objectContaining({
        server: 'kso-dbsheet',
        status: 'missing_scope',
        scope: 'kso.mcp_dbsheet.readwrite',
      }),
    ]);
    const search = await api('POST', '/v1/tools/call', {
      name: 'kso_yundoc_search_yundoc',
      arguments: { keyword: 'Q3' },
    });
    expect(search.status).toBe(200);
    const table = await api('POST', '/v1/tools/call', { name: 'kso_dbsheet_get_file_schema', arguments: {} });
    expect(table.status).toBe(404);
    expect(table.body.error.code).toBe('tool_not_found');
  });

  it('/v1/me stays connected and names the server without its scope', async () => {
    harness = await startChatHarness(withoutDbsheetScope);
    const me = await api('GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.wps.status).toBe('connected');
    expect(me.body.wps.servers).toContainEqual(
      expect.objectContaining({ server: 'kso-dbsheet', status: 'missing_scope' }),
    );
    expect(me.body.wps.servers).toContainEqual({ server: 'kso-yundoc', status: 'ok' });
  });

  it("the model is offered only the reachable servers' tools and the turn completes without a reconnect", async () => {
    harness = await startChatHarness(withoutDbsheetScope);
    harness.model.script(
      { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] },
      { text: 'Found it.' },
    );
    const answer = await api('POST', '/v1/chat', { message: 'Find the Q3 plan' });
    expect(answer.status).toBe(200);
    expect(answer.body.wps).toBeUndefined();
    expect(answer.body.toolCalls[0]).toMatchObject({ status: 'ok' });
    const offered = toolNamesOf(harness.model.requests[0]!);
    expect(offered.some((name) => name.includes('yundoc'))).toBe(true);
    expect(offered.some((name) => name.includes('dbsheet'))).toBe(false);
    // Asked again, nothing turns into "connect again": no 409 anywhere.
    expect((await api('GET', '/v1/tools')).status).toBe(200);
    expect((await api('GET', '/v1/me')).body.wps.status).toBe('connected');
  });

  it('with every server missing its scope the list is empty but explained, not a reconnect prompt', async () => {
    harness = await startChatHarness({
      env: { WPS_MCP_SERVERS: 'kso-dbsheet', WPS_SCOPES: 'kso.mcp_yundoc.readwrite' },
    });
    const tools = await api('GET', '/v1/tools');
    expect(tools.status).toBe(200);
    expect(tools.body.tools).toEqual([]);
    expect(tools.body.servers).toEqual([expect.objectContaining({ status: 'missing_scope' })]);
  });
});
