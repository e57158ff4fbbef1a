import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { ApiClient } from '../api/api-client';
import { describeError } from '../api/api-error';
import type { ConversationSummary, ToolCallRecord, ToolDescription } from '../api/types';
import { fromRecord } from '../chat/tool-call-view';
import { ToolCard } from '../chat/tool-card';
import { RevertButton } from '../edits/revert-button';
import { formatDate } from '../shell/format';
import { href } from '../shell/hash-route';
import { LoadMore } from '../shell/load-more';

export interface ToolCallFilters {
  name?: string;
  status?: string;
  source?: string;
  /** `true`: only calls that change WPS data. */
  writes?: string;
  conversationId?: string;
}

const STATUSES = ['ok', 'error', 'timeout', 'aborted', 'running', 'awaiting_approval', 'denied'];
const PAGE_SIZE = 25;

/** Every tool call of the user across conversations, with the `/v1/tool-calls` filters. */
export function ToolCallsPage({
  api,
  filters,
  onFiltersChange,
}: {
  api: ApiClient;
  /** From the address, so a filtered view can be linked and reloaded. */
  filters: ToolCallFilters;
  onFiltersChange(filters: ToolCallFilters): void;
}) {
  const [toolCalls, setToolCalls] = useState<ToolCallRecord[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [nameDraft, setNameDraft] = useState(filters.name ?? '');
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [toolNames, setToolNames] = useState<string[]>([]);
  const { name, status, source, writes, conversationId } = filters;

  const load = useCallback(
    async (cursor?: string) => {
      setLoading(true);
      setError(null);
      try {
        const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
        for (const [key, value] of Object.entries({ name, status, source, writes, conversationId, cursor })) {
          if (value) query.set(key, value);
        }
        const page = await api.request<{ toolCalls: ToolCallRecord[]; nextCursor: string | null }>(
          'GET',
          `/v1/tool-calls?${query}`,
        );
        setToolCalls((previous) => (cursor ? [...previous, ...page.toolCalls] : page.toolCalls));
        setNextCursor(page.nextCursor ?? null);
      } catch (caught: unknown) {
        setError(describeError(caught));
      } finally {
        setLoading(false);
      }
    },
    [api, name, status, source, writes, conversationId],
  );

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => setNameDraft(name ?? ''), [name]);

  // Choices for the filters; the page works without them (WPS not connected, no conversations yet).
  useEffect(() => {
    api
      .request<{ conversations: ConversationSummary[] }>('GET', '/v1/conversations?limit=100')
      .then((answer) => setConversations(answer.conversations))
      .catch(() => setConversations([]));
    api
      .request<{ tools: ToolDescription[] }>('GET', '/v1/tools')
      .then((answer) => setToolNames([...new Set(answer.tools.map((tool) => tool.name))].sort()))
      .catch(() => setToolNames([]));
  }, [api]);

  function change(update: Partial<ToolCallFilters>) {
    onFiltersChange({ ...filters, ...update });
  }

  function submitName(event: FormEvent) {
    event.preventDefault();
    change({ name: nameDraft.trim() || undefined });
  }

  const conversationKnown =
    !conversationId || conversations.some((conversation) => conversation.id === conversationId);
  const filtered = Boolean(name || status || source || writes || conversationId);
  return (
    <main className="page">
      <div className="page-head">
        <h1>Tool calls</h1>
      </div>
      <form className="filters" onSubmit={submitName} aria-label="Filter tool calls">
        <label>
          <span>Tool</span>
          <input
            data-testid="filter-name"
            list="tool-names"
            placeholder="e.g. search_yundoc"
            value={nameDraft}
            onChange={(event) => setNameDraft(event.target.value)}
            onBlur={() => {
              if ((nameDraft.trim() || undefined) !== name) change({ name: nameDraft.trim() || undefined });
            }}
          />
          <datalist id="tool-names">
            {toolNames.map((toolName) => (
              <option key={toolName} value={toolName} />
            ))}
          </datalist>
        </label>
        <label>
          <span>Status</span>
          <select
            data-testid="filter-status"
            value={status ?? ''}
            onChange={(event) => change({ status: event.target.value || undefined })}
          >
            <option value="">Any</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Source</span>
          <select
            data-testid="filter-source"
            value={source ?? ''}
            onChange={(event) => change({ source: event.target.value || undefined })}
          >
            <option value="">Any</option>
            <option value="chat">chat</option>
            <option value="direct">direct (API)</option>
            <option value="revert">revert</option>
          </select>
        </label>
        <label>
          <span>Show</span>
          <select
            data-testid="filter-writes"
            value={writes ?? ''}
            onChange={(event) => change({ writes: event.target.value || undefined })}
          >
            <option value="">all calls</option>
            <option value="true">writes only</option>
          </select>
        </label>
        <label>
          <span>Conversation</span>
          <select
            data-testid="filter-conversation"
            value={conversationId ?? ''}
            onChange={(event) => change({ conversationId: event.target.value || undefined })}
          >
            <option value="">Any</option>
            {!conversationKnown && conversationId && <option value={conversationId}>{conversationId}</option>}
            {conversations.map((conversation) => (
              <option key={conversation.id} value={conversation.id}>
                {conversation.title || conversation.id}
              </option>
            ))}
          </select>
        </label>
        <div className="filter-actions">
          <button type="submit" className="small primary" data-testid="filter-apply">
            Apply
          </button>
          {filtered && (
            <button
              type="button"
              className="small"
              data-testid="filter-clear"
              onClick={() => {
                setNameDraft('');
                onFiltersChange({});
              }}
            >
              Clear
            </button>
          )}
        </div>
      </form>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!loading && !error && toolCalls.length === 0 && (
        <p className="muted" data-testid="tool-calls-empty">
          {filtered ? 'No tool calls match these filters.' : 'No tool calls yet.'}
        </p>
      )}
      <ul className="tool-call-list" data-testid="tool-calls-list">
        {toolCalls.map((call) => (
          <li
            key={call.id}
            className="tool-call-row"
            data-testid="tool-call-row"
            data-status={call.status}
            data-source={call.source}
          >
            <div className="tool-call-meta muted">
              <time dateTime={call.startedAt} title={call.startedAt}>
                {formatDate(call.startedAt)}
              </time>
              <span className={`badge badge-source`}>{call.source}</span>
              {call.conversationId && (
                <a href={href(['conversations', call.conversationId])} data-testid="tool-call-conversation">
                  conversation
                </a>
              )}
            </div>
            <ToolCard
              call={fromRecord(call)}
              testId="tool-call-card"
              actions={
                call.revertible ? (
                  <RevertButton api={api} toolCallId={call.id} onReverted={() => void load()} />
                ) : undefined
              }
            />
          </li>
        ))}
      </ul>
      <LoadMore
        loading={loading}
        nextCursor={nextCursor}
        onLoad={(cursor) => void load(cursor)}
        testId="load-more"
      />
    </main>
  );
}
