import { afterEach, describe, expect, it } from 'vitest';
import { createWpsSandbox, type WpsSandbox } from '../../src/sandbox/index.js';
import { createManualClock } from '../../src/shared/clock.js';
import { connectClient, httpStatusOf, serverUrl, sessionIdOf, toolJson } from './sandbox-test-helpers.js';

let sandbox: WpsSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});

function post(target: WpsSandbox, server: string, headers: Record<string, string>, body = initialize) {
  return fetch(serverUrl(target, server), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body,
  });
}

describe('MCP access control', () => {
  it('answers 401 with a WPS-style body without a token, with a bad token, and on both transports', async () => {
    sandbox = await createWpsSandbox();
    for (const headers of [
      {},
      { authorization: 'Bearer not-a-token' },
      { authorization: 'Basic abc' },
    ] as Array<Record<string, string>>) {
      const response = await post(sandbox, 'kso-yundoc', headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(await response.json()).toMatchObject({ code: 40100001, msg: 'invalid_token' });
    }
    const sse = await fetch(serverUrl(sandbox, 'kso-yundoc'), { headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(401);
    expect(sandbox.requestCounts().mcp['kso-yundoc']).toEqual({ http_401: 4 });
  });

  it('makes the SDK client fail with 401 for expired and revoked tokens', async () => {
    const clock = createManualClock();
    sandbox = await createWpsSandbox({ clock });
    const expiring = sandbox.issueTokens('alice').access_token;
    clock.advance(7200 * 1000);
    expect(await httpStatusOf(connectClient(sandbox, 'kso-yundoc', expiring, 'streamable'))).toBe(401);

    const revoked = sandbox.issueTokens('bob').access_token;
    const { client } = await connectClient(sandbox, 'kso-yundoc', revoked, 'streamable');
    sandbox.revokeAccount('bob');
    expect(await httpStatusOf(client.listTools())).toBe(401);
    await client.close();
  });

  it('answers 403 invalid_scope when the token lacks the server scope', async () => {
    sandbox = await createWpsSandbox();
    const { access_token } = sandbox.issueTokens('alice', ['kso.mcp_yundoc.readwrite']);
    expect((await post(sandbox, 'kso-yundoc', { authorization: `Bearer ${access_token}` })).status).toBe(200);
    const forbidden = await post(sandbox, 'kso-dbsheet', { authorization: `Bearer ${access_token}` });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: 40300005, msg: 'invalid_scope' });
    expect(await httpStatusOf(connectClient(sandbox, 'kso-airpage', access_token, 'sse'))).toBe(403);
    expect(sandbox.requestCounts().mcp['kso-dbsheet']).toEqual({ http_403: 1 });
  });

  it('answers 404 for an unknown server', async () => {
    sandbox = await createWpsSandbox();
    const { access_token } = sandbox.issueTokens('alice');
    const response = await post(sandbox, 'kso-nothing', { authorization: `Bearer ${access_token}` });
    expect(response.status).toBe(404);
  });

  it("keeps accounts apart: bob sees none of alice's files, even by id", async () => {
    sandbox = await createWpsSandbox();
    const alice = (
      await connectClient(sandbox, 'kso-yundoc', sandbox.issueTokens('alice').access_token, 'streamable')
    ).client;
    const bob = (await connectClient(sandbox, 'kso-yundoc', sandbox.issueTokens('bob').access_token, 'sse'))
      .client;
    const search = async (client: typeof alice, keyword: string) =>
      toolJson(await client.callTool({ name: 'kso_yundoc_search_yundoc', arguments: { keyword } })).items;
    expect(await search(bob, 'q3')).toEqual([]);
    expect(await search(alice, 'private notes')).toEqual([]);
    expect((await search(bob, 'private notes'))[0].file.name).toBe("Bob's Private Notes.otl");
    const aliceFile = (await search(alice, 'roadmap'))[0].file;
    const stolen = await bob.callTool({
      name: 'kso_yundoc_get_file_meta',
      arguments: { file_id: aliceFile.id },
    });
    expect(stolen.isError).toBe(true);
    expect(toolJson(stolen).code).toBe(404000001);
    await Promise.all([alice.close(), bob.close()]);
  });

  it("refuses another account's token on an open session with 403", async () => {
    sandbox = await createWpsSandbox();
    const { transport, client } = await connectClient(
      sandbox,
      'kso-yundoc',
      sandbox.issueTokens('alice').access_token,
      'streamable',
    );
    const response = await post(
      sandbox,
      'kso-yundoc',
      {
        authorization: `Bearer ${sandbox.issueTokens('bob').access_token}`,
        'mcp-session-id': sessionIdOf(transport),
        'mcp-protocol-version': '2025-06-18',
      },
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 40300006 });
    await client.close();
  });
});
