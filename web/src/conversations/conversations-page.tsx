import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from '../api/api-client';
import { describeError } from '../api/api-error';
import type { ConversationSummary } from '../api/types';
import { formatDate } from '../shell/format';
import { href } from '../shell/hash-route';
import { LoadMore } from '../shell/load-more';

/** Past conversations, newest first, with "load more" by cursor. */
export function ConversationsPage({ api }: { api: ApiClient }) {
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (cursor?: string) => {
      setLoading(true);
      setError(null);
      try {
        const query = new URLSearchParams({ limit: '30' });
        if (cursor) query.set('cursor', cursor);
        const page = await api.request<{ conversations: ConversationSummary[]; nextCursor: string | null }>(
          'GET',
          `/v1/conversations?${query}`,
        );
        setConversations((previous) => (cursor ? [...previous, ...page.conversations] : page.conversations));
        setNextCursor(page.nextCursor ?? null);
      } catch (caught: unknown) {
        setError(describeError(caught));
      } finally {
        setLoading(false);
      }
    },
    [api],
  );

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <main className="page">
      <div className="page-head">
        <h1>History</h1>
        <a className="button small primary" href={href(['chat'])}>
          New chat
        </a>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!loading && !error && conversations.length === 0 && <p className="muted">No conversations yet.</p>}
      <ul className="conversation-list" data-testid="conversations-list">
        {conversations.map((conversation) => (
          <li
            key={conversation.id}
            className="conversation-item"
            data-testid="conversation-item"
            data-id={conversation.id}
          >
            <a className="conversation-link" href={href(['conversations', conversation.id])}>
              <span className="conversation-title">{conversation.title || 'Untitled conversation'}</span>
              <time className="muted" dateTime={conversation.updatedAt} title={conversation.updatedAt}>
                {formatDate(conversation.updatedAt)}
              </time>
            </a>
            <a
              className="button small"
              href={href(['chat', conversation.id])}
              data-testid="conversation-continue"
            >
              Continue
            </a>
          </li>
        ))}
      </ul>
      <LoadMore
        loading={loading}
        nextCursor={nextCursor}
        onLoad={(cursor) => void load(cursor)}
        testId="conversations-load-more"
      />
    </main>
  );
}
