import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { dynamicTool, type ToolSet } from 'ai';
import { needsApproval, type ToolApprovalSetting } from '../approvals/tool-classification.js';
import type { ArgumentValidator } from '../mcp/argument-validator.js';
import type { CatalogTool } from '../mcp/tool-catalog.js';
import type { ToolRunner } from '../mcp/tool-runner.js';
import type { ToolCallStatus } from '../transcripts/tool-calls.repository.js';
import {
  findAuthorizationRequired,
  type WpsAuthorizationRequiredError,
} from '../wps-auth/wps-auth.errors.js';
import type { ApprovedCalls } from './approved-call.js';
import { oncePerToolList, type ToolDefinitionCache } from './catalog-tool-definitions.js';
import { fitToBudget } from './output-budget.js';
import { unwrapArguments } from './schema-normalizer.js';

/** One tool call of a turn, as the chat reply lists it. */
export interface TurnToolCall {
  id: string;
  name: string;
  safeName: string;
  server: string;
  arguments: unknown;
  result: CallToolResult;
  isError: boolean;
  status: Exclude<ToolCallStatus, 'running'>;
  durationMs: number;
}

/**
 * What a tool's execute returns: the full result plus what the console's live tool cards show (server,
 * status, duration, whether the model saw a truncated copy). Only `toModelOutput` decides what the
 * model is sent.
 */
interface ToolOutput {
  toolCallId: string;
  name: string;
  server: string;
  status: TurnToolCall['status'];
  durationMs: number;
  isError: boolean;
  truncated: boolean;
  result: CallToolResult;
}

export interface TurnToolContext {
  userId: string;
  conversationId: string;
  messageId: string;
  /** The step the model is on; set by the chat loop before each step. */
  currentStep: () => number;
  onToolCall: (call: TurnToolCall) => void;
  /** Set when WPS authorization is lost mid-turn: the loop then stops after this step. */
  onAuthorizationLost: (error: WpsAuthorizationRequiredError) => void;
  /** `TOOL_APPROVAL`: which calls the SDK holds back for the user's approval. */
  approval: ToolApprovalSetting;
  /** Approved calls of a paused turn, by the model's tool call id, and how to run them (approved-call.ts). */
  approvedCalls?: ApprovedCalls;
}

/** Plain text of an MCP result for the model: text parts as they are, other parts named. */
export function resultText(result: CallToolResult): string {
  return (result.content ?? [])
    .map((part) => (part.type === 'text' ? part.text : `[${part.type} content omitted]`))
    .join('\n');
}

/** One tool list's AI SDK tools, shared by every turn on that list. */
export interface WpsToolSet {
  tools: ToolSet;
  /** The WPS tool and its real arguments behind a model tool call (for approvals). */
  resolveCall: (
    safeName: string,
    input: unknown,
  ) => { tool: CatalogTool; arguments: Record<string, unknown> } | undefined;
}

/** The tool set of each tool list in use, built once per list. */
export interface WpsToolSets {
  forCatalog(catalog: readonly CatalogTool[]): WpsToolSet;
}

/**
 * A turn's tools get its context from the SDK's `experimental_context` (the chat loop passes it to
 * generateText/streamText): without it a call cannot be recorded against anyone, so it fails loudly.
 */
function turnContextOf(value: unknown): TurnToolContext {
  if (!value) throw new Error('WPS tool called without its turn context (experimental_context).');
  return value as TurnToolContext;
}

/**
 * The user's WPS tools as AI SDK tools: provider-safe names mapped back to (server, tool), schemas
 * normalised for function calling, arguments validated against the original schema (a failure goes back
 * to the model as a tool error it can correct), results recorded in full and sent to the model within
 * the output budget. Nothing in a tool depends on the turn: the turn's user, conversation, step and
 * callbacks arrive with each call as `experimental_context` (a TurnToolContext), so a tool list's set is
 * built once, by catalog identity like its definitions (catalog-tool-definitions.ts), not per turn.
 */
export function createWpsToolSets(options: {
  runner: ToolRunner;
  validator: ArgumentValidator;
  outputBudgetChars: number;
  /** Names, normalised schemas and SDK schemas of each tool list. */
  definitions: ToolDefinitionCache;
}): WpsToolSets {
  const { runner, validator } = options;

  function build(catalog: readonly CatalogTool[]): WpsToolSet {
    const { definitions, bySafeName } = options.definitions.forCatalog(catalog);
    const tools: ToolSet = {};
    for (const { alias, tool, schema, description, inputSchema } of definitions) {
      tools[alias.safeName] = dynamicTool({
        description,
        inputSchema,
        // A pure function of the tool and the setting: the SDK asks again when the approval comes back.
        // Arguments that fail validation never reach WPS, so asking about them would be noise.
        needsApproval: (input, { experimental_context }) =>
          needsApproval(tool, turnContextOf(experimental_context).approval) &&
          validator.validate(tool.inputSchema, unwrapArguments(schema, input)).length === 0,
        execute: async (
          input,
          { abortSignal, toolCallId: modelToolCallId, experimental_context },
        ): Promise<ToolOutput> => {
          const context = turnContextOf(experimental_context);
          const toolArguments = unwrapArguments(schema, input);
          const base = {
            userId: context.userId,
            tool,
            arguments: (toolArguments ?? {}) as Record<string, unknown>,
            source: 'chat' as const,
            conversationId: context.conversationId,
            messageId: context.messageId,
            step: context.currentStep(),
            safeName: alias.safeName,
          };
          const issues = validator.validate(tool.inputSchema, toolArguments);
          let outcome: Awaited<ReturnType<ToolRunner['run']>>;
          if (issues.length > 0) {
            const details = issues
              .map((issue) => `${issue.path || '(arguments)'} ${issue.message}`)
              .join('; ');
            outcome = await runner.recordRejected(
              base,
              `Invalid arguments for ${tool.name}: ${details}. Fix them and call the tool again.`,
            );
          } else {
            try {
              const approved = context.approvedCalls?.get(modelToolCallId);
              outcome = approved
                ? await approved.run({ ...base, signal: abortSignal })
                : await runner.run({ ...base, signal: abortSignal });
            } catch (error) {
              const authorization = findAuthorizationRequired(error);
              if (!authorization) throw error;
              context.onAuthorizationLost(authorization);
              const result: CallToolResult = {
                isError: true,
                content: [
                  {
                    type: 'text',
                    text: 'WPS authorization was lost; the user must reconnect WPS before any more tool calls.',
                  },
                ],
              };
              return {
                toolCallId: 'authorization-lost',
                name: tool.name,
                server: tool.server,
                status: 'error',
                durationMs: 0,
                isError: true,
                truncated: false,
                result,
              };
            }
          }
          context.onToolCall({
            id: outcome.toolCallId,
            name: tool.name,
            safeName: alias.safeName,
            server: tool.server,
            arguments: base.arguments,
            result: outcome.result,
            isError: outcome.isError,
            status: outcome.status,
            durationMs: outcome.durationMs,
          });
          return {
            toolCallId: outcome.toolCallId,
            name: tool.name,
            server: tool.server,
            status: outcome.status,
            durationMs: outcome.durationMs,
            isError: outcome.isError,
            truncated: resultText(outcome.result).length > options.outputBudgetChars,
            result: outcome.result,
          };
        },
        toModelOutput: ({ output }) => {
          const { isError, result } = output as ToolOutput;
          const { text } = fitToBudget(resultText(result), options.outputBudgetChars);
          return isError ? { type: 'error-text', value: text } : { type: 'text', value: text };
        },
      });
    }
    return {
      tools,
      resolveCall(safeName, input) {
        const found = bySafeName.get(safeName);
        if (!found) return undefined;
        const toolArguments = unwrapArguments(found.schema, input);
        return { tool: found.tool, arguments: (toolArguments ?? {}) as Record<string, unknown> };
      },
    };
  }

  return { forCatalog: oncePerToolList(build) };
}
