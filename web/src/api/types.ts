/** Shapes of the agent API's answers, as the product contract describes them. */

export type WpsStatus = 'connected' | 'not_connected' | 'reauthorization_required';

export interface Me {
  user: { id: string; name: string };
  wps: { status: WpsStatus; scopes: string[]; expiresAt: string | null };
}

export interface ConversationSummary {
  id: string;
  title: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TranscriptToolCall {
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
  /** `aborted`: stopped by the user (or the client went away); `error`: failed, see `error`. */
  status?: 'streaming' | 'complete' | 'aborted' | 'error';
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

export type ToolCallStatus = 'running' | 'ok' | 'error' | 'timeout' | 'aborted';

export interface ToolCallRecord {
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
  source: 'chat' | 'direct';
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
