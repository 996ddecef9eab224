/** GetKeyPolicy into a text area; Save checks it in the browser (policy.ts), then PutKeyPolicy, then reads it back. */
import { useEffect, useState } from 'preact/hooks';
import { call, describeError, type Session } from '../api.ts';
import { checkPolicy } from '../policy.ts';
import { ErrorBox } from '../ui.tsx';

type Status = { kind: 'idle' } | { kind: 'busy' } | { kind: 'error'; text: string } | { kind: 'saved' };

const pretty = (text: string): string => { try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; } };

export function PolicyEditor({ session, keyId }: { session: Session; keyId: string }) {
  const [text, setText] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const read = async (): Promise<string> => pretty((await call<{ Policy?: string }>(session, 'kms', 'GetKeyPolicy', { KeyId: keyId, PolicyName: 'default' })).Policy ?? '');
  useEffect(() => {
    let current = true;
    read().then((p) => { if (current) setText(p); }, (e: unknown) => { if (current) setStatus({ kind: 'error', text: describeError(e) }); });
    return () => { current = false; };
  }, [session, keyId]);
  const save = async (): Promise<void> => {
    if (text === undefined) return;
    const problem = checkPolicy(text);
    if (problem !== undefined) { setStatus({ kind: 'error', text: problem }); return; }
    setStatus({ kind: 'busy' });
    try {
      await call(session, 'kms', 'PutKeyPolicy', { KeyId: keyId, PolicyName: 'default', Policy: text });
      setText(await read());
      setStatus({ kind: 'saved' });
    } catch (e) {
      setStatus({ kind: 'error', text: describeError(e) });
    }
  };
  if (text === undefined) return status.kind === 'error' ? <ErrorBox>{status.text}</ErrorBox> : <p class="muted">Loading…</p>;
  return (
    <div class="policy">
      <textarea aria-label="Key policy" rows={18} spellcheck={false} value={text}
        onInput={(e) => { setText(e.currentTarget.value); setStatus({ kind: 'idle' }); }} />
      <div class="row">
        <button type="button" disabled={status.kind === 'busy'} onClick={() => void save()}>Save policy</button>
        <button type="button" class="secondary" onClick={() => { setStatus({ kind: 'idle' }); read().then(setText, (e: unknown) => setStatus({ kind: 'error', text: describeError(e) })); }}>Reload</button>
        {status.kind === 'saved' ? <span class="ok-text" role="status">Policy saved.</span> : null}
      </div>
      {status.kind === 'error' ? <ErrorBox>{status.text}</ErrorBox> : null}
    </div>
  );
}
