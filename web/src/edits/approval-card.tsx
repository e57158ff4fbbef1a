import { useId, useState } from 'react';
import type { EditPreview } from '../api/types';
import { EditPreviewView } from './diff-view';

/** One sentence: what the assistant wants to do; the preview below says what it changes. */
function describe(name: string, server: string | undefined): string {
  return `The assistant wants to run ${name}${server ? ` on ${server}` : ''}, which changes your WPS data.`;
}

/**
 * One call waiting for the user's approval: what it would do, its diff, and Approve / Deny with an
 * optional reason. Plain buttons and a text field, so it works from the keyboard (Tab, Enter, Space).
 */
export function ApprovalCard(props: {
  name: string;
  server?: string;
  preview?: EditPreview;
  onAnswer(approved: boolean, reason?: string): void;
}) {
  const [reason, setReason] = useState('');
  const reasonId = useId();
  const answer = (approved: boolean) => props.onAnswer(approved, reason.trim() || undefined);
  return (
    <section
      className={`approval-card${props.preview?.destructive ? ' destructive' : ''}`}
      data-testid="approval-card"
      aria-label={`Approve ${props.name}?`}
    >
      <p className="approval-question" data-testid="approval-description">
        {describe(props.name, props.server)}
      </p>
      {props.preview && <EditPreviewView preview={props.preview} />}
      <div className="approval-actions">
        <label htmlFor={reasonId} className="visually-hidden">
          Reason (optional)
        </label>
        <input
          id={reasonId}
          data-testid="approval-reason"
          placeholder="Reason (optional)"
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              answer(false);
            }
          }}
        />
        <button
          type="button"
          className="primary small"
          data-testid="approval-approve"
          onClick={() => answer(true)}
        >
          Approve
        </button>
        <button type="button" className="small" data-testid="approval-deny" onClick={() => answer(false)}>
          Deny
        </button>
      </div>
    </section>
  );
}
