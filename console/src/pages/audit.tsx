/** The audit trail (CloudTrail LookupEvents): one attribute filter (event name, user, resource), a time range, 50 a page. */
import { useState } from 'preact/hooks';
import { call, type Session } from '../api.ts';
import type { LookupEventsOutput } from '../kms-types.ts';
import { Show, useLoad } from '../ui.tsx';
import { EventTable } from './event-table.tsx';

interface Filter { readonly attribute: string; readonly value: string; readonly start: string; readonly end: string }

const ATTRIBUTES = [['EventName', 'Event name'], ['Username', 'User'], ['ResourceName', 'Key ARN (resource)'], ['AccessKeyId', 'Access key ID']] as const;

/** A datetime-local value (local time) → epoch seconds, or undefined when empty or not a date. */
const seconds = (local: string): number | undefined => {
  if (local === '') return undefined;
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
};

export function Audit({ session }: { session: Session }) {
  const [filter, setFilter] = useState<Filter>({ attribute: 'EventName', value: '', start: '', end: '' });
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const token = tokens[tokens.length - 1];
  const [page] = useLoad(() => {
    const start = seconds(filter.start), end = seconds(filter.end);
    return call<LookupEventsOutput>(session, 'cloudtrail', 'LookupEvents', {
      MaxResults: 50,
      ...(filter.value !== '' ? { LookupAttributes: [{ AttributeKey: filter.attribute, AttributeValue: filter.value }] } : {}),
      ...(start !== undefined ? { StartTime: start } : {}), ...(end !== undefined ? { EndTime: end } : {}),
      ...(token !== undefined ? { NextToken: token } : {}),
    });
  }, [session, filter, token]);
  const submit = (e: Event): void => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const value = (name: string): string => String(form.get(name) ?? '').trim();
    setTokens([undefined]);
    // A new object each time: searching again with the same filter loads again.
    setFilter({ attribute: value('attribute'), value: value('value'), start: value('start'), end: value('end') });
  };
  return (
    <section>
      <h1>Audit trail</h1>
      <form class="filters" onSubmit={submit}>
        <select name="attribute" aria-label="Filter by">{ATTRIBUTES.map(([k, label]) => <option key={k} value={k}>{label}</option>)}</select>
        <input name="value" aria-label="Filter value" placeholder="e.g. CreateKey" maxLength={2000} spellcheck={false} />
        <label>From<input name="start" type="datetime-local" step={1} /></label>
        <label>To<input name="end" type="datetime-local" step={1} /></label>
        <button type="submit">Search</button>
      </form>
      <Show loaded={page} render={(p) => (
        <>
          <EventTable events={p.Events ?? []} />
          <div class="pager">
            {tokens.length > 1 ? <button type="button" onClick={() => setTokens(tokens.slice(0, -1))}>Newer</button> : null}
            {p.NextToken !== undefined ? <button type="button" onClick={() => setTokens([...tokens, p.NextToken])}>Older</button> : null}
          </div>
        </>
      )} />
    </section>
  );
}
