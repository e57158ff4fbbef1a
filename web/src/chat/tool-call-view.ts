import type { DynamicToolUIPart } from 'ai';
import type { EditPreview, ToolCallRecord, TranscriptToolCall } from '../api/types';

/** The marker the agent puts in a tool result it shortened before giving it to the model. */
const TRUNCATION_MARKER = '[… truncated';

/** What a tool card shows, whichever way the call arrived (live stream, transcript, review). */
export interface ToolCallView {
  id: string;
  /** The name the model saw (a safe alias like `kso_yundoc_search_yundoc`). */
  name: string;
  /** The WPS tool name, when it differs from `name`. */
  wpsName?: string;
  server?: string;
  input: unknown;
  /** Undefined while the call runs. */
  result?: unknown;
  state: 'running' | 'ok' | 'error';
  /** A status beyond ok/error (`timeout`, `aborted`). */
  detail?: string;
  errorText?: string;
  durationMs?: number;
  /** The model was given a shortened result (the full one is shown here). */
  truncatedForModel?: boolean;
  /** A write's change (or, while it waits, what it would change): shown as a diff, not raw arguments. */
  change?: EditPreview;
  /** The write can be put back (`POST /v1/tool-calls/:id/revert` on `recordId`). */
  revertible?: boolean;
  /** The agent's transcript id of the call (the live stream's `id` is the model's). */
  recordId?: string;
}

/** A result as text: an MCP CallToolResult's text content, a string, or else JSON. */
export function resultText(result: unknown): string {
  if (result === undefined || result === null) return '';
  if (typeof result === 'string') return result;
  const content = (result as { content?: unknown }).content;
  if (Array.isArray(content)) {
    return content
      .map((item: { type?: string; text?: string }) =>
        item?.type === 'text' && typeof item.text === 'string' ? item.text : JSON.stringify(item, null, 2),
      )
      .join('\n');
  }
  return JSON.stringify(result, null, 2);
}

export function prettyJson(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}

export function isTruncated(text: string): boolean {
  return text.includes(TRUNCATION_MARKER);
}

function isErrorResult(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { isError?: unknown }).isError === true;
}

function stringField(object: unknown, name: string): string | undefined {
  const value = (object as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

function numberField(object: unknown, name: string): number | undefined {
  const value = (object as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'number' ? value : undefined;
}

/**
 * The agent's tools return `{ toolCallId, isError, result: <MCP CallToolResult>, ...extra }` to the UI
 * stream (the model gets a budgeted text instead); other outputs are shown as they are.
 */
function unwrapOutput(output: unknown): {
  result: unknown;
  isError: boolean;
  extra: Record<string, unknown>;
} {
  if (typeof output === 'object' && output !== null && 'result' in output && 'isError' in output) {
    const { result, isError, ...extra } = output as { result: unknown; isError: unknown };
    return { result, isError: isError === true || isErrorResult(result), extra };
  }
  return { result: output, isError: isErrorResult(output), extra: {} };
}

/** A `dynamic-tool` part of a streamed message; `startedAt` / `finishedAt` are when the UI saw it. */
export function fromToolPart(
  part: DynamicToolUIPart,
  timing?: { startedAt: number; finishedAt?: number },
): ToolCallView {
  const done =
    part.state === 'output-available' || part.state === 'output-error' || part.state === 'output-denied';
  const output = part.state === 'output-available' ? unwrapOutput(part.output) : undefined;
  const failed = part.state === 'output-error' || part.state === 'output-denied' || output?.isError === true;
  const metadata = { ...part.toolMetadata, ...output?.extra };
  const measured = timing?.finishedAt !== undefined ? timing.finishedAt - timing.startedAt : undefined;
  return {
    id: part.toolCallId,
    name: part.toolName,
    wpsName: stringField(metadata, 'name'),
    server: stringField(metadata, 'server') ?? part.title,
    input: part.input,
    result: output?.result,
    state: !done ? 'running' : failed ? 'error' : 'ok',
    detail: part.state === 'output-denied' ? 'denied' : stringField(metadata, 'status'),
    errorText: part.state === 'output-error' ? part.errorText : undefined,
    durationMs: numberField(metadata, 'durationMs') ?? measured,
    truncatedForModel: metadata.truncated === true,
    recordId: stringField(metadata, 'toolCallId'),
    revertible: metadata.revertible === true,
    change: metadata.change as EditPreview | undefined,
  };
}

/** A tool call recorded in a transcript or in the review list. */
export function fromRecord(call: TranscriptToolCall | ToolCallRecord): ToolCallView {
  const status = call.status ?? (call.isError ? 'error' : 'ok');
  const alias = call.safeName ?? undefined;
  return {
    id: call.id,
    name: alias ?? call.name,
    wpsName: alias && alias !== call.name ? call.name : undefined,
    server: call.server ?? undefined,
    input: call.arguments,
    result: call.result,
    state: status === 'running' ? 'running' : call.isError || status !== 'ok' ? 'error' : 'ok',
    detail: status !== 'ok' && status !== 'error' && status !== 'running' ? status : undefined,
    durationMs: call.durationMs ?? undefined,
    change: call.change ?? call.approval?.preview,
    revertible: call.revertible === true,
    recordId: call.id,
  };
}

export function formatDuration(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
