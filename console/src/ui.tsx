/** Small shared pieces: loading an API result, showing an error, dates, key-state badges. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError } from './api.ts';

export type Loaded<T> = { readonly state: 'loading' } | { readonly state: 'error'; readonly error: string } | { readonly state: 'done'; readonly value: T };

/** Runs `load` when `deps` change (and on reload()); a later answer replaces an earlier one, never the reverse. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setResult({ state: 'loading' });
    load().then((value) => { if (current) setResult({ state: 'done', value }); }, (e: unknown) => { if (current) setResult({ state: 'error', error: describeError(e) }); });
    return () => { current = false; };
    // `load` is a new closure on every render: `deps` say when it asks for something new.
  }, [...deps, tick]);
  return [result, useCallback(() => setTick((t) => t + 1), [])];
}

export function ErrorBox({ children }: { children: ComponentChildren }) {
  return <p class="error" role="alert">{children}</p>;
}

/** The loading/error states of a Loaded, or `render` of its value. */
export function Show<T>({ loaded, render }: { loaded: Loaded<T>; render: (v: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p class="muted">Loading…</p>;
  if (loaded.state === 'error') return <ErrorBox>{loaded.error}</ErrorBox>;
  return <>{render(loaded.value)}</>;
}

/** AWS JSON answers dates as epoch seconds. */
export const formatDate = (v: unknown): string => {
  const d = typeof v === 'number' ? new Date(v * 1000) : typeof v === 'string' ? new Date(v) : undefined;
  return d === undefined || Number.isNaN(d.getTime()) ? '—' : d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
};

const STATE_CLASS: Readonly<Record<string, string>> = {
  Enabled: 'ok', Disabled: 'off', PendingDeletion: 'warn', PendingReplicaDeletion: 'warn', PendingImport: 'warn', Unavailable: 'bad', Creating: 'off', Updating: 'off',
};

export function StateBadge({ state }: { state: string | undefined }) {
  return <span class={`badge ${STATE_CLASS[state ?? ''] ?? 'off'}`}>{state ?? 'unknown'}</span>;
}

/** One message for the next page shown (e.g. "created, but not its alias"), taken once. */
let flash: string | undefined;
export const setFlash = (message: string): void => { flash = message; };
export const takeFlash = (): string | undefined => { const f = flash; flash = undefined; return f; };
