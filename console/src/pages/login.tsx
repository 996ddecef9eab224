/** The login form: access key (or an STS session's three values) and region, checked with one ListKeys call. */
import { useState } from 'preact/hooks';
import { call, describeError, type Session } from '../api.ts';

export function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const value = (name: string): string => String(form.get(name) ?? '').trim();
    const token = value('sessionToken');
    const session: Session = {
      accessKeyId: value('accessKeyId'), secretAccessKey: value('secretAccessKey'), region: value('region') || 'us-east-1',
      ...(token !== '' ? { sessionToken: token } : {}),
    };
    setBusy(true);
    setError(undefined);
    try {
      await call(session, 'kms', 'ListKeys', { Limit: 1 });
      onLogin(session);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <h1>Coffer console</h1>
      <p class="muted">Your keys stay in this page's memory only: reloading the page logs you out.</p>
      <form onSubmit={(e) => void submit(e)} autocomplete="off">
        <label>Access key ID<input name="accessKeyId" required maxLength={128} spellcheck={false} /></label>
        <label>Secret access key<input name="secretAccessKey" type="password" required maxLength={256} /></label>
        <label>Session token (STS, optional)<input name="sessionToken" type="password" maxLength={4096} /></label>
        <label>Region<input name="region" defaultValue="us-east-1" required maxLength={64} spellcheck={false} /></label>
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        {error !== undefined ? <p class="error" role="alert">{error}</p> : null}
      </form>
    </div>
  );
}
