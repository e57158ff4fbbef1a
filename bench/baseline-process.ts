/**
 * The reference: the same turn done by the shortest possible code, one MCP client and `generateText`,
 * no HTTP server and no database. Runs in its own process, like the agent, so the figures compare.
 *
 * Given `offered` (what the agent sent the model: its system prompt and every tool definition, see
 * TimedModel.offered), the baseline offers exactly that, so the model requests weigh the same and the
 * difference measured is the agent's own work. Without it: the search tool alone and no system prompt.
 */

import { performance } from 'node:perf_hooks';
import { createOpenAI } from '@ai-sdk/openai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { dynamicTool, generateText, type JSONSchema7, jsonSchema, type ModelMessage, stepCountIs } from 'ai';
import { serveParent } from './child-process-rpc.js';
import { type OfferedPrompt, turnTag } from './model-timing.js';
import { sampleProcess } from './process-metrics.js';

const TOOL_NAME = 'kso_yundoc_search_yundoc';

export interface BaselineTurn {
  id: string;
  wallMs: number;
  toolMs: number;
  toolCalls: number;
}

let client: Client | undefined;
let turn: ((id: string, history?: ModelMessage[]) => Promise<BaselineTurn>) | undefined;

serveParent({
  async start(options: {
    modelBaseUrl: string;
    mcpServerUrl: string;
    accessToken: string;
    offered?: OfferedPrompt;
  }) {
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

    const definitions = options.offered?.tools ?? [
      { name: TOOL_NAME, description: search.description, parameters: search.inputSchema },
    ];

    turn = async (id, history) => {
      let toolMs = 0;
      let toolCalls = 0;
      const started = performance.now();
      // Only the search is ever called by the bench's model; every offered tool would run the same way.
      const turnTools = Object.fromEntries(
        definitions.map((definition) => [
          definition.name,
          dynamicTool({
            description: definition.description ?? definition.name,
            inputSchema: jsonSchema(definition.parameters as JSONSchema7),
            execute: async (input) => {
              const toolStarted = performance.now();
              const result = await mcp.callTool({
                name: definition.name,
                arguments: input as Record<string, unknown>,
              });
              toolMs += performance.now() - toolStarted;
              toolCalls += 1;
              return result;
            },
          }),
        ]),
      );
      await generateText({
        model,
        ...(options.offered ? { system: options.offered.system } : {}),
        prompt: `Find my Q3 plan. ${turnTag(id)}`,
        // With a history (turn depth): the earlier turns the agent replays, put before each step's messages
        // as the agent puts them (chat-turn.ts): the SDK's prompt check then skips them, as it does there.
        ...(history && {
          prepareStep: ({ messages }: { messages: ModelMessage[] }) => ({
            messages: [...history, ...messages],
          }),
        }),
        tools: turnTools,
        stopWhen: stepCountIs(3),
      });
      return { id, wallMs: performance.now() - started, toolMs, toolCalls };
    };
  },

  /** `concurrency` loops, each running `turnsEach` turns back to back, each after `history` when given. */
  async run({
    concurrency,
    turnsEach,
    prefix,
    history,
  }: {
    concurrency: number;
    turnsEach: number;
    prefix: string;
    history?: ModelMessage[];
  }) {
    const run = turn;
    if (!run) throw new Error('start first');
    const results: BaselineTurn[] = [];
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        for (let index = 0; index < turnsEach; index++)
          results.push(await run(`${prefix}-${worker}-${index}`, history));
      }),
    );
    return results;
  },
  sample: () => sampleProcess(),
  async close() {
    await client?.close();
  },
});
