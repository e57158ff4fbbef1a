import type { WpsStatus } from '../api/types';
import type { WpsConnection } from './use-wps-connection';

const LABELS: Record<WpsStatus, string> = {
  connected: 'WPS connected',
  not_connected: 'WPS not connected',
  reauthorization_required: 'WPS needs reconnecting',
};

/** The header's WPS state with its Connect / Reconnect / Disconnect control. */
export function ConnectionControl({ connection }: { connection: WpsConnection }) {
  const { me, pending, blockedUrl, actionError } = connection;
  const status = me?.wps.status;
  return (
    <div className="connection">
      <span
        className={`connection-status status-${status ?? 'unknown'}`}
        data-testid="wps-status"
        data-status={status ?? 'unknown'}
        role="status"
        aria-live="polite"
      >
        <span className="dot" aria-hidden="true" />
        {pending && status !== 'connected' ? 'Waiting for WPS…' : status ? LABELS[status] : 'WPS…'}
        {status === 'connected' && me?.wps.account && (
          <span className="wps-account" data-testid="wps-account" title={`WPS account ${me.wps.account}`}>
            {` · ${me.wps.account}`}
          </span>
        )}
      </span>
      {status === 'connected' ? (
        <button
          type="button"
          className="small"
          data-testid="wps-disconnect"
          onClick={() => void connection.disconnect()}
        >
          Disconnect
        </button>
      ) : (
        status && (
          <button
            type="button"
            className="small primary"
            data-testid="wps-connect"
            onClick={() => void connection.connect()}
          >
            {status === 'reauthorization_required' ? 'Reconnect' : pending ? 'Open again' : 'Connect'}
          </button>
        )
      )}
      {blockedUrl && (
        <a className="small-link" href={blockedUrl} target="_blank" rel="noopener noreferrer">
          Your browser blocked the window: open WPS consent
        </a>
      )}
      {actionError && (
        <span className="form-error" role="alert">
          {actionError}
        </span>
      )}
    </div>
  );
}
