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
export function ToolCard({ call, testId = 'tool-card' }: { call: ToolCallView; testId?: string }) {
  const argumentsText = prettyJson(call.input);
  const result = call.errorText ?? resultText(call.result);
  const truncated = isTruncated(result) || call.truncatedForModel === true;
  const duration = formatDuration(call.durationMs);
  const stateLabel =
    call.state === 'running' ? 'running…' : call.state === 'error' ? (call.detail ?? 'error') : 'ok';
  return (
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
        {argumentsText && (
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
        <h4>Arguments</h4>
        <pre data-testid="tool-arguments">{argumentsText || '(none)'}</pre>
        <h4>{call.errorText ? 'Error' : 'Result'}</h4>
        <pre data-testid="tool-result">
          {call.state === 'running' ? 'Waiting for the result…' : result || '(empty)'}
        </pre>
      </div>
    </details>
  );
}
