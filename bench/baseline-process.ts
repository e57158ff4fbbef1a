/**
 * The reference: the same turn done by the shortest possible code, one MCP client and `generateText`,
 * no HTTP server and no database. Runs in its own process, like the agent, so the figures compare.
 */

import { performance } from 'node:perf_hooks';
import { createOpenAI } from '@ai-sdk/openai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { dynamicTool, generateText, type JSONSchema7, jsonSchema, stepCountIs } from 'ai';
import { serveParent } from './child-process-rpc.js';
import { turnTag } from './model-timing.js';
import { sampleProcess } from './process-metrics.js';

const TOOL_NAME = 'kso_yundoc_search_yundoc';

export interface BaselineTurn {
  id: string;
  wallMs: number;
  toolMs: number;
  toolCalls: number;
}

let client: Client | undefined;
let turn: ((id: string) => Promise<BaselineTurn>) | undefined;

serveParent({
  async start(options: { modelBaseUrl: string; mcpServerUrl: string; accessToken: string }) {
    const mcp = new Client({ name: 'bench-baseline', version: '0.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(options.mcpServerUrl), {
        requestInit: { headers: { Authorization: `Bearer ${options.accessToken}` } },
      }),
    );
    client = mcp;
    const { tools } = await mcp.listTools();
    const search = tools.find((tool) => tool.name === TOOL_NAME);
    if (!search) throw new Error(`${TOOL_NAME} is not offered by ${options.mcpServerUrl}`);
    const model = createOpenAI({ baseURL: options.modelBaseUrl, apiKey: 'sk-bench-model-key-123456' }).chat(
      'scripted-model',
    );

    turn = async (id) => {
      let toolMs = 0;
      let toolCalls = 0;
      const started = performance.now();
      await generateText({
        model,
        prompt: `Find my Q3 plan. ${turnTag(id)}`,
        tools: {
          [TOOL_NAME]: dynamicTool({
            description: search.description ?? TOOL_NAME,
            inputSchema: jsonSchema(search.inputSchema as JSONSchema7),
            execute: async (input) => {
              const toolStarted = performance.now();
              const result = await mcp.callTool({
                name: TOOL_NAME,
                arguments: input as Record<string, unknown>,
              });
              toolMs += performance.now() - toolStarted;
              toolCalls += 1;
              return result;
            },
          }),
        },
        stopWhen: stepCountIs(3),
      });
      return { id, wallMs: performance.now() - started, toolMs, toolCalls };
    };
  },

  /** `concurrency` loops, each running `turnsEach` turns back to back. */
  async run({ concurrency, turnsEach, prefix }: { concurrency: number; turnsEach: number; prefix: string }) {
    const run = turn;
    if (!run) throw new Error('start first');
    const results: BaselineTurn[] = [];
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        for (let index = 0; index < turnsEach; index++)
          results.push(await run(`${prefix}-${worker}-${index}`));
      }),
    );
    return results;
  },
  sample: () => sampleProcess(),
  async close() {
    await client?.close();
  },
});
