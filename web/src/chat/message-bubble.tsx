import type { UIMessage } from 'ai';
import type { ApiClient } from '../api/api-client';
import type { EditPreview, PendingApproval } from '../api/types';
import { ApprovalCard } from '../edits/approval-card';
import { RevertButton } from '../edits/revert-button';
import { textOf } from './chat-transport';
import { Markdown } from './markdown';
import { fromToolPart } from './tool-call-view';
import { ToolCard } from './tool-card';

/** When the UI first saw a tool call and when its result arrived: the live duration on its card. */
export type Timing = { startedAt: number; finishedAt?: number };

/** The message's approvals by id (tool, server, preview), from its `data-approvals` parts. */
function approvalsOf(message: UIMessage): Map<string, PendingApproval> {
  const approvals = new Map<string, PendingApproval>();
  for (const part of message.parts)
    if (part.type === 'data-approvals')
      for (const approval of part.data as PendingApproval[]) approvals.set(approval.id, approval);
  return approvals;
}

const StoppedMarker = () => (
  <p className="muted turn-stopped" data-testid="turn-stopped">
    Stopped
  </p>
);

/** One message: the user's words, or the assistant's text, tool cards and approval cards. */
export function MessageBubble({
  message,
  timings,
  api,
  onAnswer,
  stopped,
}: {
  message: UIMessage;
  timings: Map<string, Timing>;
  /** The user pressed Stop on this turn (marked on its last message). */
  stopped: boolean;
  api: ApiClient;
  onAnswer(id: string, approved: boolean, reason?: string): void;
}) {
  if (message.role === 'user') {
    return (
      <div className="message user" data-testid="message" data-role="user">
        <div className="bubble">{textOf(message)}</div>
        {stopped && <StoppedMarker />}
      </div>
    );
  }
  const approvals = approvalsOf(message);
  return (
    <div className="message assistant" data-testid="message" data-role="assistant">
      {message.parts.map((part, index) => {
        const key = `${message.id}-${index}`;
        if (part.type === 'text') {
          return part.text ? (
            <div key={key} className="bubble" data-testid="assistant-text">
              <Markdown text={part.text} />
            </div>
          ) : null;
        }
        if (part.type === 'dynamic-tool') {
          const call = fromToolPart(part, timings.get(part.toolCallId));
          const approval = part.approval ? approvals.get(part.approval.id) : undefined;
          const preview: EditPreview | undefined = approval?.preview;
          if (part.state === 'approval-requested')
            return (
              <ApprovalCard
                key={key}
                name={approval?.name ?? call.wpsName ?? call.name}
                server={approval?.server ?? call.server}
                preview={preview ?? call.change}
                onAnswer={(approved, reason) => onAnswer(part.approval.id, approved, reason)}
              />
            );
          const change = call.change ?? preview;
          // An approved write that ran, or a reloaded one the server says can be put back.
          const canRevert =
            call.state === 'ok' && call.recordId && (call.revertible || part.approval?.approved);
          return (
            <ToolCard
              key={key}
              call={{ ...call, change }}
              actions={
                canRevert && call.recordId ? (
                  <RevertButton api={api} toolCallId={call.recordId} onReverted={() => undefined} />
                ) : undefined
              }
            />
          );
        }
        return null;
      })}
      {stopped && <StoppedMarker />}
    </div>
  );
}
