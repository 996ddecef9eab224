/**
 * Counting audit events into the activity chart's series: time buckets across the window, the
 * TOP operations by name and the rest as "other", and the events with an errorCode. Pure (no
 * browser API), so the tests run it under Node (test/console/activity-aggregate.test.ts).
 */
import type { CloudTrailEvent } from './kms-types.ts';

export const BUCKETS = 24;
/** Operations drawn by name; the rest are summed as "other". */
export const TOP = 6;

export interface Activity {
  readonly start: number;
  readonly end: number;
  readonly bucketMs: number;
  /** Series names (top operations, then "other" when needed), and per bucket a count per series. */
  readonly series: readonly string[];
  readonly counts: readonly (readonly number[])[];
  readonly errors: readonly number[];
  readonly total: number;
  readonly errorTotal: number;
  /** The window held more events than were read: the chart starts at `coveredFrom`. */
  readonly truncated: boolean;
  readonly coveredFrom: number;
}

const errorCode = (e: CloudTrailEvent): string | undefined => {
  try {
    const r = JSON.parse(e.CloudTrailEvent ?? '{}') as { errorCode?: unknown };
    return typeof r.errorCode === 'string' ? r.errorCode : undefined;
  } catch {
    return undefined;
  }
};

export function aggregate(events: readonly CloudTrailEvent[], start: number, end: number, truncated: boolean): Activity {
  const bucketMs = Math.max(1, Math.ceil((end - start) / BUCKETS));
  const byName = new Map<string, number>();
  for (const e of events) byName.set(e.EventName ?? '?', (byName.get(e.EventName ?? '?') ?? 0) + 1);
  const ranked = [...byName.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([n]) => n);
  const named = ranked.slice(0, TOP);
  const series = ranked.length > TOP ? [...named, 'other'] : named;
  const counts = Array.from({ length: BUCKETS }, () => new Array<number>(series.length).fill(0));
  const errors = new Array<number>(BUCKETS).fill(0);
  let coveredFrom = start, errorTotal = 0;
  for (const e of events) {
    const t = (e.EventTime ?? 0) * 1000;
    if (t < start || t > end) continue;
    const b = Math.min(BUCKETS - 1, Math.floor((t - start) / bucketMs));
    const i = named.indexOf(e.EventName ?? '?');
    const row = counts[b] as number[];
    const s = i >= 0 ? i : series.length - 1;
    row[s] = (row[s] ?? 0) + 1;
    if (errorCode(e) !== undefined) { errors[b] = (errors[b] ?? 0) + 1; errorTotal++; }
  }
  if (truncated && events.length > 0) coveredFrom = Math.min(...events.map((e) => (e.EventTime ?? 0) * 1000));
  return { start, end, bucketMs, series, counts, errors, total: events.length, errorTotal, truncated, coveredFrom };
}

