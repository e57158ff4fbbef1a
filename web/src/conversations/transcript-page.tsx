import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/api-client';
import { describeError } from '../api/api-error';
import type { Transcript } from '../api/types';
import { Markdown } from '../chat/markdown';
import { fromRecord } from '../chat/tool-call-view';
import { ToolCard } from '../chat/tool-card';
import { RevertButton } from '../edits/revert-button';
import { downloadJson, formatDate } from '../shell/format';
import { href } from '../shell/hash-route';

/** One past conversation, read-only, with its tool calls; continue it, export it, or delete it. */
export function TranscriptPage({ api, id, onDeleted }: { api: ApiClient; id: string; onDeleted(): void }) {
  const [transcript, setTranscript] = useState<Transcript | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  // Bumped after a revert: the transcript is read again to show the revert call.
  const [reloads, setReloads] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `reloads` only asks for a fresh read.
  useEffect(() => {
    let cancelled = false;
    setTranscript(null);
    setError(null);
    api
      .request<Transcript>('GET', `/v1/conversations/${encodeURIComponent(id)}`)
      .then((answer) => {
        if (!cancelled) setTranscript(answer);
      })
      .catch((caught: unknown) => {
        if (!cancelled) setError(describeError(caught));
      });
    return () => {
      cancelled = true;
    };
  }, [api, id, reloads]);

  async function exportJson() {
    try {
      const answer = await api.request<Transcript>('GET', `/v1/conversations/${encodeURIComponent(id)}`);
      downloadJson(`conversation-${id}.json`, answer);
    } catch (caught: unknown) {
      setError(describeError(caught));
    }
  }

  async function remove() {
    try {
      await api.request('DELETE', `/v1/conversations/${encodeURIComponent(id)}`);
      onDeleted();
    } catch (caught: unknown) {
      setError(describeError(caught));
    }
  }

  return (
    <main className="page transcript" data-testid="transcript">
      <p>
        <a href={href(['conversations'])}>← History</a>
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!transcript && !error && <p className="muted">Loading…</p>}
      {transcript && (
        <>
          <div className="page-head">
            <div>
              <h1 data-testid="transcript-title">{transcript.title || 'Untitled conversation'}</h1>
              <p className="muted">Started {formatDate(transcript.createdAt)}</p>
            </div>
            <div className="row wrap">
              <a
                className="button small primary"
                href={href(['chat', id])}
                data-testid="continue-conversation"
              >
                Continue in chat
              </a>
              <a
                className="button small"
                href={href(['tool-calls'], { conversationId: id })}
                data-testid="review-tool-calls"
              >
                Tool calls
              </a>
              <button
                type="button"
                className="small"
                data-testid="export-conversation"
                onClick={() => void exportJson()}
              >
                Export JSON
              </button>
              {confirmingDelete ? (
                <>
                  <button
                    type="button"
                    className="small danger"
                    data-testid="confirm-delete"
                    onClick={() => void remove()}
                  >
                    Delete for good
                  </button>
                  <button type="button" className="small" onClick={() => setConfirmingDelete(false)}>
                    Keep
                  </button>
                </>
              ) : (
                <button
                  type="button"
                  className="small"
                  data-testid="delete-conversation"
                  onClick={() => setConfirmingDelete(true)}
                >
                  Delete
                </button>
              )}
            </div>
          </div>
          <div className="transcript-messages">
            {transcript.messages.map((message) => (
              <div
                key={message.id}
                className={`message ${message.role === 'user' ? 'user' : 'assistant'}`}
                data-testid="transcript-message"
                data-role={message.role}
              >
                {message.toolCalls?.map((call) => (
                  <ToolCard
                    key={call.id}
                    call={fromRecord(call)}
                    actions={
                      call.revertible ? (
                        <RevertButton
                          api={api}
                          toolCallId={call.id}
                          onReverted={() => setReloads((count) => count + 1)}
                        />
                      ) : undefined
                    }
                  />
                ))}
                {message.text && (
                  <div className="bubble">
                    {message.role === 'user' ? message.text : <Markdown text={message.text} />}
                  </div>
                )}
                {message.status === 'aborted' && (
                  <p className="muted turn-stopped" data-testid="turn-stopped">
                    Stopped
                  </p>
                )}
                {message.status === 'error' && (
                  <p className="muted no-reply" data-testid="turn-failed">
                    Failed{message.error ? `: ${message.error}` : ''}
                  </p>
                )}
                <time className="message-time muted" dateTime={message.createdAt}>
                  {formatDate(message.createdAt)}
                </time>
              </div>
            ))}
          </div>
        </>
      )}
    </main>
  );
}
