/**
 * CloudTrail LookupEvents (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html)
 * over Coffer's audit trail: the caller's account's records (and those of calls on its keys from
 * other accounts) of the request's region, as CloudTrail's event history is regional, newest first, filtered by at most one lookup attribute and a time range, 50 at
 * most per page. Authorized by IAM policy (`cloudtrail:LookupEvents`; the account root may).
 * Errors: InvalidLookupAttributesException, InvalidTimeRangeException, InvalidMaxResultsException,
 * InvalidNextTokenException, InvalidEventCategoryException, ValidationException, AccessDeniedException.
 * Differences from AWS: no 90-day limit (retention is COFFER_AUDIT_RETENTION_DAYS), no Insights
 * events (EventCategory `insight` finds none), and records are visible once written (at most
 * COFFER_AUDIT_FLUSH_MS after the call; a lookup flushes first), not minutes later.
 */
import { ValidationException } from '../../errors/common-errors.ts';
import {
  InvalidEventCategoryException, InvalidLookupAttributesException, InvalidMaxResultsException, InvalidNextTokenException,
  InvalidTimeRangeException,
} from '../../errors/cloudtrail-errors.ts';
import type { AuditCursor, AuditLookup, AuditRow, AuditStore } from '../../ports/audit.ts';
import { operationFacts } from '../../wire/operation-table.ts';
import type { Caller } from '../context.ts';

export const CLOUDTRAIL_TARGET_PREFIX = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';

const ATTRIBUTE_KEYS: ReadonlySet<string> = new Set(['EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId']);
const DEFAULT_MAX = 50;

export interface LookupEventsContext {
  readonly caller: Caller;
  /** The request's region (its credential scope): only that region's records are answered. */
  readonly region: string;
  /** Rejects with AccessDeniedException unless the caller's IAM policies allow the action. */
  authorize(action: string): Promise<void>;
  readonly store: Pick<AuditStore, 'lookup'>;
  /** Writes the queued records so that the lookup sees every finished call. */
  flush(): Promise<void>;
}

export interface LookupEventsInput {
  readonly LookupAttributes?: readonly { readonly AttributeKey: string; readonly AttributeValue: string }[];
  readonly StartTime?: Date;
  readonly EndTime?: Date;
  readonly EventCategory?: string;
  readonly MaxResults?: number;
  readonly NextToken?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function timestamp(v: unknown, name: string): Date | undefined {
  if (v === undefined || v === null) return undefined;
  const seconds = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) throw new ValidationException(`1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must be a timestamp`);
  return d;
}

/** Validates the JSON body against the LookupEventsRequest shape. */
export function parseLookupEvents(body: unknown): LookupEventsInput {
  if (!isObject(body)) throw new ValidationException('The request body must be a JSON object.');
  const out: { -readonly [K in keyof LookupEventsInput]: LookupEventsInput[K] } = {};
  const attrs = body.LookupAttributes;
  if (attrs !== undefined && attrs !== null) {
    if (!Array.isArray(attrs)) throw new ValidationException("1 validation error detected: Value at 'lookupAttributes' failed to satisfy constraint: Member must be a list");
    out.LookupAttributes = attrs.map((a: unknown, i) => {
      const key = isObject(a) ? a.AttributeKey : undefined;
      const value = isObject(a) ? a.AttributeValue : undefined;
      if (typeof key !== 'string' || !ATTRIBUTE_KEYS.has(key)) {
        throw new ValidationException(`1 validation error detected: Value '${String(key)}' at 'lookupAttributes.${i + 1}.member.attributeKey' failed to satisfy constraint: Member must satisfy enum value set: [${[...ATTRIBUTE_KEYS].join(', ')}]`);
      }
      if (typeof value !== 'string' || value.length < 1 || value.length > 2000) {
        throw new ValidationException(`1 validation error detected: Value at 'lookupAttributes.${i + 1}.member.attributeValue' failed to satisfy constraint: Member must have length between 1 and 2000`);
      }
      return { AttributeKey: key, AttributeValue: value };
    });
  }
  const start = timestamp(body.StartTime, 'startTime');
  const end = timestamp(body.EndTime, 'endTime');
  if (start) out.StartTime = start;
  if (end) out.EndTime = end;
  if (body.EventCategory !== undefined && body.EventCategory !== null) {
    if (body.EventCategory !== 'insight') throw new InvalidEventCategoryException('Event category is not valid.');
    out.EventCategory = 'insight';
  }
  if (body.MaxResults !== undefined && body.MaxResults !== null) {
    if (typeof body.MaxResults !== 'number' || !Number.isInteger(body.MaxResults)) throw new InvalidMaxResultsException('MaxResults must be a whole number.');
    out.MaxResults = body.MaxResults;
  }
  if (body.NextToken !== undefined && body.NextToken !== null) {
    if (typeof body.NextToken !== 'string') throw new InvalidNextTokenException('Invalid NextToken.');
    out.NextToken = body.NextToken;
  }
  return out;
}

/** A page's end as a NextToken: the last record's place in the order (time, chain, seq), opaque to the client. */
const encodeToken = (r: AuditRow): string =>
  Buffer.from(JSON.stringify({ v: 2, t: r.eventTime, c: r.chain ?? '', s: r.seq })).toString('base64url');
function decodeToken(t: string): AuditCursor {
  try {
    const p = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as { v?: unknown; t?: unknown; c?: unknown; s?: unknown };
    if (p.v === 2 && typeof p.t === 'number' && Number.isSafeInteger(p.t) && typeof p.c === 'string' && p.c.length <= 200
      && typeof p.s === 'number' && Number.isSafeInteger(p.s) && p.s > 0) {
      return { eventTime: p.t, chain: p.c, seq: p.s };
    }
  } catch { /* answered below */ }
  throw new InvalidNextTokenException('Invalid NextToken.');
}

function toEvent(r: AuditRow) {
  return {
    EventId: r.eventId,
    EventName: r.eventName,
    ReadOnly: String(r.readOnly),
    ...(r.accessKeyId !== undefined ? { AccessKeyId: r.accessKeyId } : {}),
    EventTime: new Date(r.eventTime),
    EventSource: r.eventSource,
    ...(r.username !== undefined ? { Username: r.username } : {}),
    Resources: r.resources.map((x) => ({ ResourceType: x.type, ResourceName: x.name })),
    CloudTrailEvent: r.record,
  };
}

/** The region a record is of (`awsRegion`); '' for a record of the whole trail (AuditRecordsDropped). */
export function recordRegion(r: Pick<AuditRow, 'record'>): string {
  try {
    const parsed: unknown = JSON.parse(r.record);
    return isObject(parsed) && typeof parsed.awsRegion === 'string' ? parsed.awsRegion : '';
  } catch {
    return '';
  }
}

/** The services whose calls are on the trail (every one an operation-table service). */
const RECORDED_SERVICES = ['kms', 'iam', 'sts', 'cloudtrail', 'cloudhsm', 'coffer'] as const;

/**
 * Whether every record a lookup attribute matches is a state change's (readOnly false): ReadOnly
 * false, or an event name that no service's operation table calls read-only (records take their
 * readOnly from that table; a name it lacks is not read-only). The store may then read only its
 * index of state changes (AuditLookup.changesOnly).
 */
export function onlyStateChanges(key: string, value: string): boolean {
  if (key === 'ReadOnly') return value === 'false';
  if (key !== 'EventName') return false;
  return RECORDED_SERVICES.every((s) => operationFacts(s, value)?.readOnly !== true);
}

/** Rows per read while skipping other regions' records. */
const SCAN_BATCH = 200;

/**
 * Up to `q.limit` rows of the lookup that are of the context's region (or of the whole trail),
 * read in batches past other regions' records; the order and the cursor are the store's.
 */
async function regionalRows(ctx: LookupEventsContext, q: AuditLookup): Promise<AuditRow[]> {
  const out: AuditRow[] = [];
  let before = q.before;
  for (;;) {
    const batch = await ctx.store.lookup({ ...q, before, limit: Math.max(q.limit, SCAN_BATCH) });
    for (const r of batch) {
      const region = recordRegion(r);
      if (region === ctx.region || region === '') out.push(r);
      if (out.length === q.limit) return out;
    }
    const last = batch.at(-1);
    if (last === undefined || batch.length < Math.max(q.limit, SCAN_BATCH)) return out;
    before = { eventTime: last.eventTime, chain: last.chain ?? '', seq: last.seq };
  }
}

export async function lookupEvents(input: LookupEventsInput, ctx: LookupEventsContext) {
  await ctx.authorize('cloudtrail:LookupEvents');
  const attrs = input.LookupAttributes ?? [];
  if (attrs.length > 1) throw new InvalidLookupAttributesException('You cannot perform a lookup on more than one attribute.');
  const attribute = attrs[0];
  if (attribute?.AttributeKey === 'ReadOnly' && attribute.AttributeValue !== 'true' && attribute.AttributeValue !== 'false') {
    throw new InvalidLookupAttributesException('ReadOnly must be true or false.');
  }
  if (input.StartTime && input.EndTime && input.StartTime.getTime() > input.EndTime.getTime()) {
    throw new InvalidTimeRangeException('Start time must be before end time.');
  }
  const max = input.MaxResults ?? DEFAULT_MAX;
  if (max < 1 || max > 50) throw new InvalidMaxResultsException('MaxResults must be between 1 and 50.');
  const before = input.NextToken !== undefined ? decodeToken(input.NextToken) : undefined;
  if (input.EventCategory === 'insight') return { Events: [] };
  await ctx.flush();
  const rows = await regionalRows(ctx, {
    accountId: ctx.caller.accountId,
    attribute: attribute ? { key: attribute.AttributeKey, value: attribute.AttributeValue } : undefined,
    changesOnly: attribute !== undefined && onlyStateChanges(attribute.AttributeKey, attribute.AttributeValue),
    startTime: input.StartTime?.getTime(), endTime: input.EndTime?.getTime(), before, limit: max + 1,
  });
  const page = rows.slice(0, max);
  const last = page.at(-1);
  return { Events: page.map(toEvent), ...(rows.length > max && last ? { NextToken: encodeToken(last) } : {}) };
}
