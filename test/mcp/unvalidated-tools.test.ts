import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createErrorHandler } from '../../src/http/error-handler.js';
import { createArgumentValidator } from '../../src/mcp/argument-validator.js';
import type { CatalogTool, ToolCatalog } from '../../src/mcp/tool-catalog.js';
import type { ToolRunner } from '../../src/mcp/tool-runner.js';
import { createToolsRoutes } from '../../src/mcp/tools.routes.js';
import { createLogger } from '../../src/shared/logger.js';
import type { AuthorizationFlow } from '../../src/wps-auth/authorization-flow.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const tools: CatalogTool[] = [
  {
    name: 'kso_yundoc_search_yundoc',
    server: 'kso-yundoc',
    description: 'search',
    inputSchema: { type: 'object', properties: { keyword: { type: 'string' } }, required: ['keyword'] },
  },
  {
    name: 'kso_airpage_import_markdown_data',
    server: 'kso-airpage',
    description: 'write',
    // A dangling $ref: ajv cannot compile this schema, so the arguments cannot be checked.
    inputSchema: { type: 'object', properties: { markdown_content: { $ref: '#/$defs/nowhere' } } },
  },
];

/** The tools routes alone, over a fixed catalogue and a runner that records what it was asked to run. */
async function serveTools() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line) => lines.push(line) } });
  const ran: string[] = [];
  const catalog = { snapshot: async () => ({ tools, servers: [] }) } as unknown as ToolCatalog;
  const runner = {
    run: async (request: { tool: CatalogTool }) => {
      ran.push(request.tool.name);
      return { toolCallId: 'call_1', status: 'ok', result: { content: [] }, isError: false, durationMs: 1 };
    },
  } as unknown as ToolRunner;
  const app = express();
  app.use(express.json());
  app.use((_request, response, next) => {
    response.locals.user = { id: 'usr_1', name: 'ann' };
    next();
  });
  app.use(
    createToolsRoutes({
      catalog,
      runner,
      validator: createArgumentValidator({ logger }),
      authorizationFlow: {} as AuthorizationFlow,
    }),
  );
  app.use(createErrorHandler({ logger }));
  server = createServer(app);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, ran, lines };
}

describe('a tool whose input schema cannot be compiled', () => {
  it('is flagged in the tool list and the log', async () => {
    const { url, lines } = await serveTools();
    const body = (await (await fetch(`${url}/tools`)).json()) as any;
    const byName = new Map(body.tools.map((tool: any) => [tool.name, tool]));
    expect(byName.get('kso_yundoc_search_yundoc')).toMatchObject({ argumentValidation: 'ok' });
    expect(byName.get('kso_airpage_import_markdown_data')).toMatchObject({
      argumentValidation: 'unavailable',
    });
    expect(
      lines.some(
        (line) => line.includes('kso_airpage_import_markdown_data') && line.includes('cannot be compiled'),
      ),
    ).toBe(true);
  });

  it('is never called: the call is refused with a clear reason', async () => {
    const { url, ran } = await serveTools();
    const call = (name: string, toolArguments: unknown) =>
      fetch(`${url}/tools/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, arguments: toolArguments }),
      });
    const refused = await call('kso_airpage_import_markdown_data', { markdown_content: '# Hi' });
    expect(refused.status).toBe(400);
    const error = ((await refused.json()) as any).error;
    expect(error.code).toBe('validation_failed');
    expect(error.message).toContain('cannot be checked');
    expect((await call('kso_yundoc_search_yundoc', { keyword: 'Q3' })).status).toBe(200);
    expect(ran).toEqual(['kso_yundoc_search_yundoc']);
  });
});
