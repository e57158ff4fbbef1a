import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type AgentMetrics, noMetrics } from '../metrics/agent-metrics.js';
import type { Clock } from '../shared/clock.js';
import { createId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type {
  ToolCallSource,
  ToolCallStatus,
  ToolCallsRepository,
} from '../transcripts/tool-calls.repository.js';
import { findAuthorizationRequired } from '../wps-auth/wps-auth.errors.js';
import type { McpConnectionPool } from './connection-pool.js';
import { isTimeout } from './mcp-errors.js';
import type { CatalogTool } from './tool-catalog.js';

export interface ToolRunOutcome {
  toolCallId: string;
  status: Exclude<ToolCallStatus, 'running'>;
  result: CallToolResult;
  isError: boolean;
  durationMs: number;
  /** Set when the call did not reach a tool answer: why (timeout, abort, WPS unreachable). */
  failure?: { kind: 'timeout' | 'aborted' | 'upstream'; message: string };
}

export interface ToolRunRequest {
  userId: string;
  tool: CatalogTool;
  arguments: Record<string, unknown>;
  source: ToolCallSource;
  conversationId?: string;
  messageId?: string;
  step?: number;
  safeName?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** For a revert: the call whose change this one puts back. */
  revertOf?: string;
  /** An approved call runs on its existing `awaiting_approval` transcript row. */
  toolCallId?: string;
}

/** How the runner keeps a copy of what a write call is about to change (see src/edits/snapshots.ts). */
export interface BeforeWrite {
  changesData(tool: CatalogTool): boolean;
  /** The sealed before-state, or undefined when the call changes nothing that can be put back. */
  snapshot(userId: string, tool: CatalogTool, args: Record<string, unknown>): Promise<string | undefined>;
}

const errorResult = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });

/**
 * Calls one WPS tool and records it in the transcript: a `running` row first (so a crash mid-call leaves
 * a trace), then its outcome. Failures that are not the tool's own answer become error results with a
 * reason; an authorization failure is recorded and rethrown, because the caller must stop and ask the
 * user to reconnect.
 */
export function createToolRunner(options: {
  pool: McpConnectionPool;
  toolCallsRepository: ToolCallsRepository;
  clock: Clock;
  logger: Logger;
  callTimeoutMs: number;
  beforeWrite?: BeforeWrite;
  metrics?: AgentMetrics;
}) {
  const { clock, toolCallsRepository, beforeWrite, metrics = noMetrics } = options;
  const counted = (request: Pick<ToolRunRequest, 'tool'>, status: string, durationMs: number) =>
    metrics.toolCallEnded({ tool: request.tool.name, server: request.tool.server, status, durationMs });

  /** The transcript row of a call, before its outcome is known (or with it, for rejected calls). */
  const insertCall = async (
    request: Omit<ToolRunRequest, 'signal' | 'timeoutMs'>,
    state: { result?: CallToolResult; isError: boolean; status: ToolCallStatus; durationMs?: number },
  ): Promise<string> => {
    const toolCallId = createId('call');
    await toolCallsRepository.insert({
      id: toolCallId,
      userId: request.userId,
      conversationId: request.conversationId,
      messageId: request.messageId,
      step: request.step,
      safeName: request.safeName,
      name: request.tool.name,
      server: request.tool.server,
      arguments: request.arguments,
      source: request.source,
      startedAt: clock.now(),
      changesData: beforeWrite?.changesData(request.tool) ?? false,
      revertOf: request.revertOf ?? null,
      ...state,
    });
    return toolCallId;
  };

  return {
    /** Records a call that never reached WPS (its arguments failed validation), as the chat loop needs. */
    async recordRejected(
      request: Omit<ToolRunRequest, 'signal' | 'timeoutMs'>,
      message: string,
    ): Promise<ToolRunOutcome> {
      const result = errorResult(message);
      const toolCallId = await insertCall(request, { result, isError: true, status: 'error', durationMs: 0 });
      counted(request, 'error', 0);
      return { toolCallId, status: 'error', result, isError: true, durationMs: 0 };
    },

    async run(request: ToolRunRequest): Promise<ToolRunOutcome> {
      const timeoutMs = request.timeoutMs ?? options.callTimeoutMs;
      const started = performance.now();
      let toolCallId = request.toolCallId;
      if (toolCallId) await toolCallsRepository.markRunning(toolCallId, clock.now());
      else toolCallId = await insertCall(request, { isError: false, status: 'running' });
      const rowId = toolCallId;
      // Returned unawaited inside the try below: a failure to store the outcome is not a tool failure.
      const finish = async (
        outcome: Omit<ToolRunOutcome, 'toolCallId' | 'durationMs'>,
      ): Promise<ToolRunOutcome> => {
        const durationMs = Math.round(performance.now() - started);
        await toolCallsRepository.finish(rowId, {
          result: outcome.result,
          isError: outcome.isError,
          status: outcome.status,
          durationMs,
        });
        counted(request, outcome.status, durationMs);
        return { toolCallId: rowId, durationMs, ...outcome };
      };
      try {
        // No copy, no write: a failed read fails the call below, before WPS is asked to change anything.
        if (beforeWrite?.changesData(request.tool)) {
          const sealed = await beforeWrite.snapshot(request.userId, request.tool, request.arguments);
          if (sealed) await toolCallsRepository.storeSnapshot(rowId, sealed, clock.now());
        }
        const result = await options.pool.callTool({
          userId: request.userId,
          server: request.tool.server,
          name: request.tool.name,
          arguments: request.arguments,
          signal: request.signal,
          timeoutMs,
        });
        const isError = result.isError === true;
        return finish({ status: isError ? 'error' : 'ok', result, isError });
      } catch (error) {
        const authorization = findAuthorizationRequired(error);
        if (authorization) {
          await finish({ status: 'error', result: errorResult(authorization.message), isError: true });
          throw authorization;
        }
        if (request.signal?.aborted) {
          const message = 'The call was cancelled before WPS answered.';
          return finish({
            status: 'aborted',
            result: errorResult(message),
            isError: true,
            failure: { kind: 'aborted', message },
          });
        }
        if (isTimeout(error)) {
          const message = `WPS did not answer within ${timeoutMs} ms; the tool call timed out.`;
          return finish({
            status: 'timeout',
            result: errorResult(message),
            isError: true,
            failure: { kind: 'timeout', message },
          });
        }
        options.logger.warn(
          { err: error, tool: request.tool.name, server: request.tool.server },
          'tool call failed',
        );
        const message = `WPS ${request.tool.server} could not be reached or failed: ${error instanceof Error ? error.message.slice(0, 300) : 'unknown error'}`;
        return finish({
          status: 'error',
          result: errorResult(message),
          isError: true,
          failure: { kind: 'upstream', message },
        });
      }
    },
  };
}

export type ToolRunner = ReturnType<typeof createToolRunner>;
