/**
 * The Coffer web console: a Preact app served at /console. It holds the user's credentials in
 * memory only (a reload logs out) and signs every API call in the browser (api.ts). Pages are
 * chosen by the location hash (#/keys, #/keys/<id>, #/create, #/audit, #/activity, #/hsm).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, type Session } from './api.ts';
import { Login } from './pages/login.tsx';
import { Keys } from './pages/keys.tsx';
import { KeyPage } from './pages/key.tsx';
import { CreateKey } from './pages/create-key.tsx';
import { Audit } from './pages/audit.tsx';
import { Activity } from './pages/activity.tsx';
import { HsmClusters } from './pages/hsm.tsx';

const useHash = (): string => {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = (): void => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
};

function Page({ session, hash }: { session: Session; hash: string }) {
  const path = hash.replace(/^#/, '') || '/keys';
  if (path.startsWith('/keys/')) return <KeyPage session={session} keyId={decodeURIComponent(path.slice('/keys/'.length))} />;
  switch (path) {
    case '/create': return <CreateKey session={session} />;
    case '/audit': return <Audit session={session} />;
    case '/activity': return <Activity session={session} />;
    case '/hsm': return <HsmClusters session={session} />;
    default: return <Keys session={session} />;
  }
}

function App() {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [hasClusters, setHasClusters] = useState(false);
  const hash = useHash();
  useEffect(() => {
    if (session === undefined) return;
    // The HSM page is offered only when there are clusters (a principal without the permission sees none).
    call<{ Clusters?: unknown[] }>(session, 'cloudhsm', 'DescribeClusters', {})
      .then((r) => setHasClusters((r.Clusters ?? []).length > 0), () => setHasClusters(false));
  }, [session]);
  if (session === undefined) return <Login onLogin={(s) => { setSession(s); location.hash = '#/keys'; }} />;
  const active = (h: string): string => ((hash || '#/keys') === h || (h === '#/keys' && hash.startsWith('#/keys/')) ? 'active' : '');
  return (
    <div class="layout">
      <header>
        <span class="brand">Coffer</span>
        <nav>
          <a class={active('#/keys')} href="#/keys">Keys</a>
          <a class={active('#/create')} href="#/create">Create key</a>
          <a class={active('#/audit')} href="#/audit">Audit trail</a>
          <a class={active('#/activity')} href="#/activity">Activity</a>
          {hasClusters ? <a class={active('#/hsm')} href="#/hsm">HSM clusters</a> : null}
        </nav>
        <span class="who">{session.accessKeyId} · {session.region}</span>
        <button type="button" class="link" onClick={() => { setSession(undefined); location.hash = ''; }}>Log out</button>
      </header>
      <main><Page session={session} hash={hash} /></main>
    </div>
  );
}

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
}
