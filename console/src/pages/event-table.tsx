/** Audit events as rows; a click on a row shows its record (the CloudTrailEvent JSON), pretty-printed. */
import { useState } from 'preact/hooks';
import type { CloudTrailEvent } from '../kms-types.ts';
import { formatDate } from '../ui.tsx';

const errorOf = (e: CloudTrailEvent): string => {
  try {
    const r = JSON.parse(e.CloudTrailEvent ?? '{}') as { errorCode?: unknown };
    return typeof r.errorCode === 'string' ? r.errorCode : '';
  } catch {
    return '';
  }
};

const pretty = (text: string | undefined): string => { try { return JSON.stringify(JSON.parse(text ?? ''), null, 2); } catch { return text ?? ''; } };

export function EventTable({ events }: { events: readonly CloudTrailEvent[] }) {
  const [open, setOpen] = useState<string | undefined>(undefined);
  if (events.length === 0) return <p class="muted">No events.</p>;
  return (
    <table class="events">
      <thead><tr><th>Time</th><th>Event</th><th>User</th><th>Source</th><th>Error</th><th>Resources</th></tr></thead>
      <tbody>
        {events.map((e) => {
          const error = errorOf(e);
          const expanded = open === e.EventId;
          return [
            <tr key={e.EventId} class={`event${expanded ? ' open' : ''}`} tabIndex={0} aria-expanded={expanded}
              onClick={() => setOpen(expanded ? undefined : e.EventId)}
              onKeyDown={(k) => { if (k.key === 'Enter' || k.key === ' ') { k.preventDefault(); setOpen(expanded ? undefined : e.EventId); } }}>
              <td>{formatDate(e.EventTime)}</td><td>{e.EventName ?? ''}</td><td>{e.Username ?? ''}</td><td>{e.EventSource ?? ''}</td>
              <td>{error !== '' ? <span class="badge bad">{error}</span> : null}</td>
              <td class="mono small">{(e.Resources ?? []).map((r) => r.ResourceName ?? '').join(' ')}</td>
            </tr>,
            expanded ? <tr key={`${e.EventId}-json`} class="record"><td colSpan={6}><pre class="json">{pretty(e.CloudTrailEvent)}</pre></td></tr> : null,
          ];
        })}
      </tbody>
    </table>
  );
}
