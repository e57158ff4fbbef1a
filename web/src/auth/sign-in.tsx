import { type FormEvent, useId, useState } from 'react';
import { verifyApiKey } from '../api/api-client';

/** The first screen: an API key (from `npm run cli -- users create <name>`), checked before it is kept. */
export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn(apiKey: string): void }) {
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const key = apiKey.trim();
    if (!key) {
      setError('Enter your API key.');
      return;
    }
    setBusy(true);
    setError(null);
    const verdict = await verifyApiKey(key);
    setBusy(false);
    if (verdict.ok) onSignedIn(key);
    else setError(verdict.message);
  }

  const message = error ?? notice;
  return (
    <main className="sign-in">
      <form className="sign-in-card" onSubmit={submit} noValidate>
        <h1>WPS agent</h1>
        <p className="muted">Chat with an assistant that reads and edits your WPS cloud documents.</p>
        <label htmlFor={inputId}>API key</label>
        <input
          id={inputId}
          data-testid="sign-in-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={apiKey}
          onChange={(event) => setApiKey(event.target.value)}
          aria-describedby={message ? `${inputId}-message` : undefined}
          aria-invalid={error ? true : undefined}
        />
        {message && (
          <p id={`${inputId}-message`} className="form-error" role="alert" data-testid="sign-in-error">
            {message}
          </p>
        )}
        <button type="submit" className="primary" data-testid="sign-in-submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="hint muted">
          No key yet? An administrator creates one with <code>npm run cli -- users create &lt;name&gt;</code>.
          The key is kept in this browser tab only.
        </p>
      </form>
    </main>
  );
}
