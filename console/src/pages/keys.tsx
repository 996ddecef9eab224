/**
 * The keys of the account, a page (25) at a time: state, description, aliases, tags and rotation
 * status (DescribeKey, ListResourceTags, GetKeyRotationStatus per key, 4 calls in flight at most),
 * and a search box over the loaded keys' id, ARN, aliases and description.
 */
import { useState } from 'preact/hooks';
import { call, mapLimited, type Session } from '../api.ts';
import type { AliasEntry, KeyMetadata, Tag } from '../kms-types.ts';
import { Show, StateBadge, formatDate, useLoad } from '../ui.tsx';

const PAGE = 25;
const MAX_ALIAS_PAGES = 20;

interface Row { readonly meta: KeyMetadata; readonly aliases: readonly string[]; readonly tags: readonly Tag[]; readonly rotation: string }

async function allAliases(session: Session): Promise<AliasEntry[]> {
  const out: AliasEntry[] = [];
  let marker: string | undefined;
  for (let i = 0; i < MAX_ALIAS_PAGES; i++) {
    const r = await call<{ Aliases?: AliasEntry[]; NextMarker?: string; Truncated?: boolean }>(session, 'kms', 'ListAliases', { Limit: 100, ...(marker ? { Marker: marker } : {}) });
    out.push(...(r.Aliases ?? []));
    if (!r.Truncated || r.NextMarker === undefined) break;
    marker = r.NextMarker;
  }
  return out;
}

async function rotationOf(session: Session, meta: KeyMetadata): Promise<string> {
  if (meta.KeySpec !== 'SYMMETRIC_DEFAULT' || meta.KeyManager !== 'CUSTOMER' || meta.Origin !== 'AWS_KMS') return '—';
  if (meta.KeyState !== 'Enabled' && meta.KeyState !== 'Disabled') return '—';
  try {
    const r = await call<{ KeyRotationEnabled?: boolean; RotationPeriodInDays?: number }>(session, 'kms', 'GetKeyRotationStatus', { KeyId: meta.KeyId });
    return r.KeyRotationEnabled ? `every ${r.RotationPeriodInDays ?? 365} days` : 'off';
  } catch {
    return '?';
  }
}

async function loadPage(session: Session, marker: string | undefined): Promise<{ rows: Row[]; next?: string }> {
  const [list, aliases] = await Promise.all([
    call<{ Keys?: { KeyId: string }[]; NextMarker?: string; Truncated?: boolean }>(session, 'kms', 'ListKeys', { Limit: PAGE, ...(marker ? { Marker: marker } : {}) }),
    allAliases(session),
  ]);
  const rows = await mapLimited(list.Keys ?? [], 4, async ({ KeyId }): Promise<Row> => {
    const { KeyMetadata: meta } = await call<{ KeyMetadata: KeyMetadata }>(session, 'kms', 'DescribeKey', { KeyId });
    const tags = await call<{ Tags?: Tag[] }>(session, 'kms', 'ListResourceTags', { KeyId }).then((r) => r.Tags ?? [], () => []);
    return { meta, aliases: aliases.filter((a) => a.TargetKeyId === KeyId).map((a) => a.AliasName), tags, rotation: await rotationOf(session, meta) };
  });
  return { rows, ...(list.Truncated && list.NextMarker ? { next: list.NextMarker } : {}) };
}

const matches = (row: Row, q: string): boolean =>
  q === '' || [row.meta.KeyId, row.meta.Arn, row.meta.Description ?? '', ...row.aliases].some((s) => s.toLowerCase().includes(q));

export function Keys({ session }: { session: Session }) {
  const [markers, setMarkers] = useState<(string | undefined)[]>([undefined]);
  const [query, setQuery] = useState('');
  const marker = markers[markers.length - 1];
  const [page] = useLoad(() => loadPage(session, marker), [session, marker]);
  const q = query.trim().toLowerCase();
  return (
    <section>
      <div class="toolbar">
        <h1>Keys</h1>
        <input type="search" placeholder="Search id, alias, description" aria-label="Search keys" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        <a class="button" href="#/create">Create key</a>
      </div>
      <Show loaded={page} render={({ rows, next }) => {
        const shown = rows.filter((r) => matches(r, q));
        return (
          <>
            <table class="keys">
              <thead><tr><th>Key</th><th>Aliases</th><th>Description</th><th>State</th><th>Spec</th><th>Rotation</th><th>Tags</th><th>Created</th></tr></thead>
              <tbody>
                {shown.map((r) => (
                  <tr key={r.meta.KeyId}>
                    <td><a class="mono" href={`#/keys/${encodeURIComponent(r.meta.KeyId)}`}>{r.meta.KeyId}</a></td>
                    <td>{r.aliases.join(', ')}</td>
                    <td>{r.meta.Description ?? ''}</td>
                    <td><StateBadge state={r.meta.KeyState} /></td>
                    <td>{r.meta.KeySpec ?? ''}</td>
                    <td>{r.rotation}</td>
                    <td>{r.tags.map((t) => <span class="tag" key={t.TagKey}>{t.TagKey}={t.TagValue}</span>)}</td>
                    <td>{formatDate(r.meta.CreationDate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {shown.length === 0 ? <p class="muted">{rows.length === 0 ? 'No keys yet.' : 'No key on this page matches.'}</p> : null}
            <div class="pager">
              {markers.length > 1 ? <button type="button" onClick={() => setMarkers(markers.slice(0, -1))}>Previous</button> : null}
              {next !== undefined ? <button type="button" onClick={() => setMarkers([...markers, next])}>Next</button> : null}
            </div>
          </>
        );
      }} />
    </section>
  );
}
