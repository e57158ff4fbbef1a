import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWpsSandbox, type WpsSandbox } from '../../src/sandbox/index.js';
import { connectClient, httpStatusOf, serverUrl, sessionIdOf } from './sandbox-test-helpers.js';

let sandbox: WpsSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('sandbox controls', () => {
  it('dropMcpSessions makes old session ids answer 404 so clients reconnect', async () => {
    sandbox = await createWpsSandbox();
    const token = sandbox.issueTokens('alice').access_token;
    const { client, transport } = await connectClient(sandbox, 'kso-yundoc', token, 'streamable');
    const sessionId = sessionIdOf(transport);
    transport.onerror = () => {}; // the background GET stream reconnect also meets the 404
    sandbox.dropMcpSessions();
    const raw = await fetch(serverUrl(sandbox, 'kso-yundoc'), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(raw.status).toBe(404);
    expect(await httpStatusOf(client.listTools())).toBe(404);
    await client.close();
    const fresh = (await connectClient(sandbox, 'kso-yundoc', token, 'streamable')).client;
    expect((await fresh.listTools()).tools.length).toBe(4);
    await fresh.close();
  });

  it('dropMcpSessions ends legacy SSE streams too: their session ids then answer 404', async () => {
    sandbox = await createWpsSandbox();
    const authorization = `Bearer ${sandbox.issueTokens('alice').access_token}`;
    const stream = await fetch(serverUrl(sandbox, 'kso-yundoc'), {
      headers: { authorization, accept: 'text/event-stream' },
    });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const endpoint = /event: endpoint\ndata: (\S+)/.exec(first)?.[1] ?? '';
    expect(endpoint).toMatch(/^\/mcp\/v2\/kso-yundoc\/message\?sessionId=/);

    sandbox.dropMcpSessions();
    while (!(await reader.read()).done) {
      // drain until the sandbox ends the stream
    }
    const response = await fetch(`${sandbox.url}${endpoint}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(404);
  });

  it('failNext mcp answers 500 for the next POSTs, then recovers', async () => {
    sandbox = await createWpsSandbox();
    const { client } = await connectClient(
      sandbox,
      'kso-dbsheet',
      sandbox.issueTokens('alice').access_token,
      'streamable',
    );
    sandbox.failNext('mcp', 1);
    expect(await httpStatusOf(client.listTools())).toBe(500);
    expect((await client.listTools()).tools.length).toBe(6);
    expect(sandbox.requestCounts().mcp['kso-dbsheet']?.['tools/list']).toBe(2);
    await client.close();
  });

  it('failNext mcp hang leaves the request unanswered until close, and close is prompt', async () => {
    sandbox = await createWpsSandbox();
    const target = sandbox;
    const { client } = await connectClient(
      target,
      'kso-yundoc',
      target.issueTokens('alice').access_token,
      'sse',
    );
    target.failNext('mcp', 1, 'hang');
    const pending = client.listTools({}, { timeout: 10_000 }).then(
      () => 'answered',
      () => 'failed',
    );
    const early = await Promise.race([
      pending,
      new Promise((resolve) => setTimeout(() => resolve('pending'), 200)),
    ]);
    expect(early).toBe('pending');
    const started = Date.now();
    await target.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await client.close();
    expect(await pending).toBe('failed');
  });

  it('with streamableHttp off, POST answers 405 while legacy SSE works; with sse off, the legacy GET answers 405', async () => {
    sandbox = await createWpsSandbox({ transports: { streamableHttp: false } });
    const token = sandbox.issueTokens('alice').access_token;
    expect(await httpStatusOf(connectClient(sandbox, 'kso-yundoc', token, 'streamable'))).toBe(405);
    const { client } = await connectClient(sandbox, 'kso-yundoc', token, 'sse');
    expect((await client.listTools()).tools.length).toBe(4);
    await client.close();
    await sandbox.close();

    sandbox = await createWpsSandbox({ transports: { sse: false } });
    const sseOff = sandbox.issueTokens('alice').access_token;
    expect(await httpStatusOf(connectClient(sandbox, 'kso-yundoc', sseOff, 'sse'))).toBe(405);
    const streamable = (await connectClient(sandbox, 'kso-yundoc', sseOff, 'streamable')).client;
    expect((await streamable.listTools()).tools.length).toBe(4);
    await streamable.close();
  });

  it.each(['streamable', 'sse'] as const)(
    'setToolEnabled notifies open %s sessions and changes tools/list',
    async (kind) => {
      sandbox = await createWpsSandbox();
      const target = sandbox;
      const { client } = await connectClient(
        target,
        'kso-airpage',
        target.issueTokens('alice').access_token,
        kind,
      );
      const notified = vi.fn();
      client.setNotificationHandler(ToolListChangedNotificationSchema, notified);
      // Streamable HTTP delivers server notifications on the client's background GET stream, which opens
      // shortly after connect; until then a notification has nowhere to go, so repeat it until one lands.
      await vi.waitFor(
        () => {
          if (notified.mock.calls.length === 0)
            target.setToolEnabled('kso-airpage', 'kso_airpage_import_markdown_data', false);
          expect(notified).toHaveBeenCalled();
        },
        { timeout: 5000, interval: 100 },
      );
      expect((await client.listTools()).tools).toEqual([]);
      const late = (
        await connectClient(target, 'kso-airpage', target.issueTokens('bob').access_token, 'streamable')
      ).client;
      expect((await late.listTools()).tools).toEqual([]);

      const before = notified.mock.calls.length;
      target.setToolEnabled('kso-airpage', 'kso_airpage_import_markdown_data', true);
      await vi.waitFor(() => expect(notified.mock.calls.length).toBeGreaterThan(before), { timeout: 5000 });
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([
        'kso_airpage_import_markdown_data',
      ]);
      expect(() => target.setToolEnabled('kso-airpage', 'nope', true)).toThrow();
      await Promise.all([client.close(), late.close()]);
    },
  );
});
