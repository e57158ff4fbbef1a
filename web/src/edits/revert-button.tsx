import { useState } from 'react';
import type { ApiClient } from '../api/api-client';
import { ApiError } from '../api/api-error';

/**
 * Reverts a write after a confirmation. When the data changed since the call, the server refuses
 * (`edit_conflict`) and the button offers to revert anyway.
 */
export function RevertButton({
  api,
  toolCallId,
  onReverted,
}: {
  api: ApiClient;
  toolCallId: string;
  onReverted(): void;
}) {
  const [step, setStep] = useState<'idle' | 'confirm' | 'conflict' | 'busy' | 'done'>('idle');
  const [message, setMessage] = useState<string>();
  async function revert(force: boolean) {
    setStep('busy');
    try {
      await api.request('POST', `/v1/tool-calls/${encodeURIComponent(toolCallId)}/revert`, { force });
      setStep('done');
      setMessage('Reverted.');
      onReverted();
    } catch (error) {
      const conflict = error instanceof ApiError && error.code === 'edit_conflict';
      setStep(conflict ? 'conflict' : 'idle');
      setMessage(error instanceof Error ? error.message : 'The revert failed.');
    }
  }
  return (
    <div className="revert" data-testid="revert">
      {step === 'idle' && (
        <button
          type="button"
          className="small"
          data-testid="revert-button"
          onClick={() => setStep('confirm')}
        >
          Revert
        </button>
      )}
      {step === 'confirm' && (
        <>
          <span>Put the data back as it was before this call?</span>
          <button
            type="button"
            className="small danger"
            data-testid="revert-confirm"
            onClick={() => void revert(false)}
          >
            Yes, revert
          </button>
          <button type="button" className="small" onClick={() => setStep('idle')}>
            Cancel
          </button>
        </>
      )}
      {step === 'conflict' && (
        <button
          type="button"
          className="small danger"
          data-testid="revert-force"
          onClick={() => void revert(true)}
        >
          Revert anyway
        </button>
      )}
      {message && (
        <span className="muted" role="status" data-testid="revert-message">
          {message}
        </span>
      )}
    </div>
  );
}
