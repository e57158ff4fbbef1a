/** Shapes of the agent API's answers, as the product contract describes them. */

export type WpsStatus = 'connected' | 'not_connected' | 'reauthorization_required';

export interface Me {
  user: { id: string; name: string };
  wps: { status: WpsStatus; scopes: string[]; expiresAt: string | null; account?: string | null };
}

export interface ConversationSummary {
  id: string;
  title: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a write would change (an approval's preview) or did change (a written call's `change`). */
export interface EditPreview {
  summary: string;
  diff?: string;
  records?: Array<{ id?: string; before?: Record<string, unknown>; after: Record<string, unknown> }>;
  destructive?: boolean;
}

export interface ToolCallApproval {
  id: string;
  decision: 'pending' | 'approved' | 'denied';
  decidedAt: string | null;
  reason: string | null;
  expiresAt: string;
  preview: EditPreview;
}

/** An approval as a chat answer (and the stream's `data-approvals` part) lists it. */
export interface PendingApproval {
  id: string;
  toolCallId: string;
  name: string;
  server: string;
  arguments: unknown;
  expiresAt: string;
  preview: EditPreview;
}

/** Fields a call that can change WPS data carries. */
interface EditFields {
  revertible?: boolean;
  revertOf?: string;
  approval?: ToolCallApproval;
  change?: EditPreview;
}

export interface TranscriptToolCall extends EditFields {
  id: string;
  name: string;
  safeName?: string | null;
  server?: string | null;
  arguments: unknown;
  result: unknown;
  isError: boolean;
  status?: string;
  durationMs?: number | null;
}

export interface TranscriptMessage {
  id: string;
  role: 'user' | 'assistant' | 'system' | 'tool';
  text: string | null;
  /** `aborted`: stopped by the user (or the client went away); `error`: failed, see `error`;
   * `awaiting_approval`: paused on write calls the user must answer. */
  status?: 'streaming' | 'awaiting_approval' | 'complete' | 'aborted' | 'error';
  error?: string;
  createdAt: string;
  toolCalls?: TranscriptToolCall[];
}

export interface Transcript {
  id: string;
  title: string | null;
  createdAt: string;
  messages: TranscriptMessage[];
}

export type ToolCallStatus =
  | 'awaiting_approval'
  | 'denied'
  | 'running'
  | 'ok'
  | 'error'
  | 'timeout'
  | 'aborted';

export interface ToolCallRecord extends EditFields {
  id: string;
  conversationId: string | null;
  messageId: string | null;
  name: string;
  safeName?: string | null;
  server: string | null;
  arguments: unknown;
  result: unknown;
  isError: boolean;
  status: ToolCallStatus;
  source: 'chat' | 'direct' | 'revert';
  startedAt: string;
  durationMs: number | null;
}

export interface ToolDescription {
  name: string;
  server: string;
  description?: string;
}

/** The parts of `GET /health` the console reads. */
export interface Health {
  model?: { configured?: boolean; notice?: string };
}
