import type { ReactNode } from 'react';
import { EditPreviewView } from '../edits/diff-view';
import { formatDuration, isTruncated, prettyJson, resultText, type ToolCallView } from './tool-call-view';

const PREVIEW_LENGTH = 160;

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_LENGTH ? `${flat.slice(0, PREVIEW_LENGTH)}…` : flat;
}

/**
 * One tool call: name, server, state, duration, and previews of the arguments and result; expands to
 * the full arguments and result.
 */
export function ToolCard({
  call,
  testId = 'tool-card',
  actions,
}: {
  call: ToolCallView;
  testId?: string;
  /** Shown under the card, outside the fold (a Revert button). */
  actions?: ReactNode;
}) {
  const argumentsText = prettyJson(call.input);
  const result = call.errorText ?? resultText(call.result);
  const truncated = isTruncated(result) || call.truncatedForModel === true;
  const duration = formatDuration(call.durationMs);
  const stateLabel =
    call.state === 'running' ? 'running…' : call.state === 'error' ? (call.detail ?? 'error') : 'ok';
  const card = (
    <details
      className={`tool-card state-${call.state}`}
      data-testid={testId}
      data-state={call.state}
      data-tool={call.name}
    >
      <summary>
        <span className="tool-head">
          <span className="tool-icon" aria-hidden="true">
            {call.state === 'running' ? '⋯' : call.state === 'error' ? '!' : '✓'}
          </span>
          <code className="tool-name" data-testid="tool-name">
            {call.name}
          </code>
          {call.server && <span className="tool-server">{call.server}</span>}
          <span className={`tool-state badge badge-${call.state}`} data-testid="tool-state">
            {stateLabel}
          </span>
          {duration && <span className="tool-duration muted">{duration}</span>}
        </span>
        {call.change && (
          <span
            className={`tool-preview edit-line${call.change.destructive ? ' destructive' : ''}`}
            data-testid="tool-change-summary"
          >
            {call.change.summary}
          </span>
        )}
        {argumentsText && !call.change && (
          <span className="tool-preview">
            <span className="muted">args </span>
            <code>{preview(JSON.stringify(call.input) ?? '')}</code>
          </span>
        )}
        {result && (
          <span className="tool-preview" data-testid="tool-result-preview">
            <span className="muted">{call.errorText ? 'error ' : 'result '}</span>
            {preview(result)}
          </span>
        )}
        {truncated && (
          <span className="tool-truncated" data-testid="tool-truncated">
            The result was truncated before the model saw it.
          </span>
        )}
      </summary>
      <div className="tool-body">
        {call.wpsName && (
          <p className="muted">
            WPS tool <code>{call.wpsName}</code>
          </p>
        )}
        {call.change ? (
          <>
            <h4>Change</h4>
            <EditPreviewView preview={call.change} />
          </>
        ) : (
          <>
            <h4>Arguments</h4>
            <pre data-testid="tool-arguments">{argumentsText || '(none)'}</pre>
          </>
        )}
        <h4>{call.errorText ? 'Error' : 'Result'}</h4>
        <pre data-testid="tool-result">
          {call.state === 'running' ? 'Waiting for the result…' : result || '(empty)'}
        </pre>
      </div>
    </details>
  );
  if (!actions) return card;
  return (
    <div className="tool-card-with-actions">
      {card}
      {actions}
    </div>
  );
}
