import { describe, expect, it } from 'vitest';
import { createToolDefinitionCache } from '../../src/agent/catalog-tool-definitions.js';
import { createNormalizedSchemaCache } from '../../src/agent/schema-normalizer.js';
import { createWpsToolSets, type TurnToolContext } from '../../src/agent/wps-tools.js';
import { createArgumentValidator } from '../../src/mcp/argument-validator.js';
import { schemaContentKey } from '../../src/mcp/schema-content-key.js';
import type { CatalogTool } from '../../src/mcp/tool-catalog.js';
import type { ToolRunner, ToolRunRequest } from '../../src/mcp/tool-runner.js';
import { createLogger } from '../../src/shared/logger.js';

const searchTool = (): CatalogTool => ({
  name: 'kso_yundoc_search_yundoc',
  server: 'kso-yundoc',
  description: 'Search documents',
  inputSchema: {
    type: 'object',
    properties: { keyword: { type: 'string', minLength: 1 } },
    required: ['keyword'],
  },
  annotations: { readOnlyHint: true },
});
const readTool = (): CatalogTool => ({
  name: 'kso.read',
  server: 'kso-airpage',
  description: '',
  inputSchema: { type: 'object', properties: { file_id: { type: 'string' } } },
  annotations: { readOnlyHint: true },
});

/** A runner that records what each call was asked to run with. */
function recordingRunner() {
  const requests: ToolRunRequest[] = [];
  const runner = {
    async run(request: ToolRunRequest) {
      requests.push(request);
      return {
        toolCallId: `call-${requests.length}`,
        status: 'ok' as const,
        result: { content: [{ type: 'text' as const, text: 'found' }] },
        isError: false,
        durationMs: 1,
      };
    },
    async recordRejected() {
      throw new Error('no call in these tests is rejected');
    },
  } as unknown as ToolRunner;
  return { runner, requests };
}

function turnContext(turn: string): TurnToolContext {
  return {
    userId: `user-${turn}`,
    conversationId: `conversation-${turn}`,
    messageId: `message-${turn}`,
    currentStep: () => (turn === 'a' ? 1 : 3),
    onToolCall: () => {},
    onAuthorizationLost: () => {},
    approval: 'writes',
  };
}

function setup() {
  const computed: unknown[] = [];
  const schemaCache = createNormalizedSchemaCache({
    max: 10,
    computeKey: (schema) => {
      computed.push(schema);
      return schemaContentKey(schema);
    },
  });
  const definitions = createToolDefinitionCache({ schemaCache });
  const validator = createArgumentValidator({ logger: createLogger({ level: 'silent' }) });
  const { runner, requests } = recordingRunner();
  const toolSets = createWpsToolSets({ runner, validator, outputBudgetChars: 1_000, definitions });
  const toolSet = (catalog: readonly CatalogTool[]) => toolSets.forCatalog(catalog);
  return { toolSet, computed, requests };
}

/** Runs a tool as the SDK does: with the turn's context as `experimental_context`. */
const execute = (
  tools: ReturnType<ReturnType<typeof setup>['toolSet']>['tools'],
  name: string,
  input: unknown,
  context: TurnToolContext | undefined,
) =>
  tools[name]?.execute?.(input, {
    toolCallId: `model-${name}`,
    messages: [],
    abortSignal: undefined,
    experimental_context: context,
  });

describe('tool definitions across turns', () => {
  it('turns on one tool list share its tools: nothing is built, normalised or keyed again', () => {
    const { toolSet, computed } = setup();
    const catalog = [searchTool(), readTool()];
    const first = toolSet(catalog);
    const second = toolSet(catalog);
    expect(Object.keys(second.tools)).toEqual(['kso_yundoc_search_yundoc', 'kso_read']);
    expect(second.tools).toBe(first.tools);
    expect(second.tools.kso_read?.description).toBe('kso.read (kso-airpage)');
    expect(computed).toHaveLength(catalog.length);
  });

  it("each turn's tools still run with that turn's user, conversation and step", async () => {
    const { toolSet, requests } = setup();
    const catalog = [searchTool(), readTool()];
    const { tools } = toolSet(catalog);
    await execute(tools, 'kso_yundoc_search_yundoc', { keyword: 'Q3' }, turnContext('b'));
    await execute(tools, 'kso_read', { file_id: 'f1' }, turnContext('a'));
    expect(
      requests.map(({ userId, conversationId, messageId, step, safeName, tool }) => ({
        userId,
        conversationId,
        messageId,
        step,
        safeName,
        tool: tool.name,
      })),
    ).toEqual([
      {
        userId: 'user-b',
        conversationId: 'conversation-b',
        messageId: 'message-b',
        step: 3,
        safeName: 'kso_yundoc_search_yundoc',
        tool: 'kso_yundoc_search_yundoc',
      },
      {
        userId: 'user-a',
        conversationId: 'conversation-a',
        messageId: 'message-a',
        step: 1,
        safeName: 'kso_read',
        tool: 'kso.read',
      },
    ]);
    expect(toolSet(catalog).resolveCall('kso_read', { file_id: 'f2' })).toEqual({
      tool: catalog[1],
      arguments: { file_id: 'f2' },
    });
  });

  it('a tool called without its turn context fails loudly and runs nothing', async () => {
    const { toolSet, requests } = setup();
    const { tools } = toolSet([searchTool()]);
    await expect(execute(tools, 'kso_yundoc_search_yundoc', { keyword: 'Q3' }, undefined)).rejects.toThrow(
      /turn context/,
    );
    expect(requests).toHaveLength(0);
  });

  it('a reloaded tool list (a new array) gets its own tools', () => {
    const { toolSet } = setup();
    const before = toolSet([searchTool()]);
    const reloaded = toolSet([searchTool(), readTool()]);
    expect(Object.keys(before.tools)).toEqual(['kso_yundoc_search_yundoc']);
    expect(Object.keys(reloaded.tools)).toEqual(['kso_yundoc_search_yundoc', 'kso_read']);
    // A new list's tools are its own; equal schemas still share one normalised form across lists and users.
    const wrapperOf = (tools: typeof before.tools) =>
      tools.kso_yundoc_search_yundoc?.inputSchema as { jsonSchema: unknown } | undefined;
    expect(wrapperOf(reloaded.tools)).not.toBe(wrapperOf(before.tools));
    expect(wrapperOf(reloaded.tools)?.jsonSchema).toBe(wrapperOf(before.tools)?.jsonSchema);
  });
});
