/**
 * Requests per operation and errors over time, counted in the browser from the audit trail:
 * LookupEvents over a window, at most MAX_PAGES pages of 50 (newest first), so the work per view
 * is bounded; when the window holds more, the chart says it covers the newest events alone.
 */
import { call, type Session } from './api.ts';
import type { CloudTrailEvent, LookupEventsOutput } from './kms-types.ts';
import { aggregate, type Activity } from './activity-aggregate.ts';

export type { Activity };
export const MAX_PAGES = 10;

export async function loadActivity(session: Session, windowMinutes: number): Promise<Activity> {
  const end = Date.now();
  const start = end - windowMinutes * 60_000;
  const events: CloudTrailEvent[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const r = await call<LookupEventsOutput>(session, 'cloudtrail', 'LookupEvents', {
      StartTime: Math.floor(start / 1000), EndTime: Math.ceil(end / 1000), MaxResults: 50, ...(token !== undefined ? { NextToken: token } : {}),
    });
    events.push(...(r.Events ?? []));
    token = r.NextToken;
    pages++;
  } while (token !== undefined && pages < MAX_PAGES);
  return aggregate(events, start, end, token !== undefined);
}
