/** One key: its metadata, aliases and tags, the policy editor, grants, rotations and recent usage (its audit events). */
import { useState } from 'preact/hooks';
import { call, type Session } from '../api.ts';
import type { AliasEntry, Grant, KeyMetadata, LookupEventsOutput, Rotation, Tag } from '../kms-types.ts';
import { ErrorBox, Show, StateBadge, formatDate, takeFlash, useLoad } from '../ui.tsx';
import { PolicyEditor } from './policy-editor.tsx';
import { EventTable } from './event-table.tsx';

function Metadata({ meta, aliases, tags }: { meta: KeyMetadata; aliases: readonly AliasEntry[]; tags: readonly Tag[] }) {
  const rows: [string, preact.ComponentChildren][] = [
    ['Key ID', <span class="mono">{meta.KeyId}</span>], ['ARN', <span class="mono">{meta.Arn}</span>],
    ['State', <StateBadge state={meta.KeyState} />], ['Description', meta.Description ?? ''],
    ['Key spec', meta.KeySpec ?? ''], ['Key usage', meta.KeyUsage ?? ''], ['Origin', meta.Origin ?? ''],
    ['Key manager', meta.KeyManager ?? ''], ['Created', formatDate(meta.CreationDate)],
    ...(meta.DeletionDate !== undefined ? [['Deletion date', formatDate(meta.DeletionDate)] as [string, string]] : []),
    ['Multi-Region', meta.MultiRegion ? 'yes' : 'no'],
    ...(meta.CustomKeyStoreId !== undefined ? [['Custom key store', meta.CustomKeyStoreId] as [string, string]] : []),
    ['Aliases', aliases.map((a) => a.AliasName).join(', ') || '—'],
    ['Tags', tags.length === 0 ? '—' : tags.map((t) => <span class="tag" key={t.TagKey}>{t.TagKey}={t.TagValue}</span>)],
  ];
  return <dl class="meta">{rows.map(([k, v]) => <><dt key={`${k}-t`}>{k}</dt><dd key={`${k}-d`}>{v}</dd></>)}</dl>;
}

export function KeyPage({ session, keyId }: { session: Session; keyId: string }) {
  const [flash] = useState(takeFlash); // taken once, kept while this page is shown
  const [info] = useLoad(async () => {
    const { KeyMetadata: meta } = await call<{ KeyMetadata: KeyMetadata }>(session, 'kms', 'DescribeKey', { KeyId: keyId });
    const [aliases, tags] = await Promise.all([
      call<{ Aliases?: AliasEntry[] }>(session, 'kms', 'ListAliases', { KeyId: meta.KeyId }).then((r) => r.Aliases ?? []),
      call<{ Tags?: Tag[] }>(session, 'kms', 'ListResourceTags', { KeyId: meta.KeyId }).then((r) => r.Tags ?? [], () => []),
    ]);
    return { meta, aliases, tags };
  }, [session, keyId]);
  const [grants] = useLoad(() => call<{ Grants?: Grant[] }>(session, 'kms', 'ListGrants', { KeyId: keyId, Limit: 100 }), [session, keyId]);
  const [rotations] = useLoad(() => call<{ Rotations?: Rotation[] }>(session, 'kms', 'ListKeyRotations', { KeyId: keyId, Limit: 100 }), [session, keyId]);
  return (
    <section>
      <h1>Key <span class="mono">{keyId}</span></h1>
      {flash !== undefined ? <ErrorBox>{flash}</ErrorBox> : null}
      <Show loaded={info} render={({ meta, aliases, tags }) => (
        <>
          <Metadata meta={meta} aliases={aliases} tags={tags} />
          <h2>Key policy</h2>
          <PolicyEditor session={session} keyId={meta.KeyId} />
          <h2>Grants</h2>
          <Show loaded={grants} render={(g) => (g.Grants ?? []).length === 0 ? <p class="muted">No grants.</p> : (
            <table>
              <thead><tr><th>Grant ID</th><th>Name</th><th>Grantee</th><th>Operations</th><th>Created</th></tr></thead>
              <tbody>{(g.Grants ?? []).map((x) => (
                <tr key={x.GrantId}><td class="mono">{x.GrantId}</td><td>{x.Name ?? ''}</td><td class="mono">{x.GranteePrincipal ?? ''}</td><td>{(x.Operations ?? []).join(', ')}</td><td>{formatDate(x.CreationDate)}</td></tr>
              ))}</tbody>
            </table>
          )} />
          <h2>Rotations</h2>
          <Show loaded={rotations} render={(r) => (r.Rotations ?? []).length === 0 ? <p class="muted">No rotations.</p> : (
            <table>
              <thead><tr><th>Date</th><th>Type</th></tr></thead>
              <tbody>{(r.Rotations ?? []).map((x, i) => <tr key={i}><td>{formatDate(x.RotationDate)}</td><td>{x.RotationType ?? ''}</td></tr>)}</tbody>
            </table>
          )} />
          <h2>Recent usage</h2>
          <Usage session={session} arn={meta.Arn} />
        </>
      )} />
    </section>
  );
}

function Usage({ session, arn }: { session: Session; arn: string }) {
  const [events] = useLoad(() => call<LookupEventsOutput>(session, 'cloudtrail', 'LookupEvents', {
    LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }], MaxResults: 20,
  }), [session, arn]);
  return <Show loaded={events} render={(e) => <EventTable events={e.Events ?? []} />} />;
}
