/**
 * Whether a stored record's lookup columns say what its body says. The chain and the digests
 * protect the body only; LookupEvents filters by the columns, so an edited column (a CreateUser
 * stored under event_name ListUsers) would answer a lookup with the wrong record while the chain
 * still verified. The columns are recomputed from the body the way the writer computed them
 * (record-index.ts). event_time keeps milliseconds and the record's eventTime whole seconds: the
 * column must fall within the record's second.
 */
import type { AuditRow, RecordIndex } from '../ports/audit.ts';
import { recordIndexOf } from './record-index.ts';

export interface IndexMismatch {
  /** The column, as the store names it (event_name, read_only, …). */
  readonly column: string;
  /** What is wrong with it, e.g. `says "ListUsers" but the record says "CreateUser"`. */
  readonly detail: string;
  /** The eventID in the record body (the event_id column may be the one that lies). */
  readonly eventId: string | undefined;
}

/** RecordIndex's fields and the columns that hold them. */
const COLUMNS: readonly (readonly [keyof RecordIndex, string])[] = [
  ['eventName', 'event_name'], ['eventSource', 'event_source'], ['readOnly', 'read_only'], ['username', 'username'],
  ['accessKeyId', 'access_key_id'], ['accountId', 'account_id'], ['ownerAccountId', 'owner_account_id'], ['resources', 'resources'],
];

const MAX_SHOWN = 120;
const shown = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s;
};
const says = (stored: unknown, recorded: unknown): string => `says ${shown(stored)} but the record says ${shown(recorded)}`;

function parse(record: string): Readonly<Record<string, unknown>> | undefined {
  try {
    const v: unknown = JSON.parse(record);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Readonly<Record<string, unknown>>) : undefined;
  } catch {
    return undefined;
  }
}

/** The first lookup column of `row` that disagrees with its record, or undefined. */
export function indexMismatch(row: AuditRow): IndexMismatch | undefined {
  const body = parse(row.record);
  if (body === undefined) return { column: 'record', detail: 'is not a JSON object', eventId: undefined };
  const eventId = typeof body.eventID === 'string' ? body.eventID : undefined;
  if (row.malformedColumn !== undefined) return { column: row.malformedColumn, detail: 'holds a value the store never writes', eventId };
  if (row.eventId !== eventId) return { column: 'event_id', detail: says(row.eventId, eventId), eventId };
  const second = typeof body.eventTime === 'string' ? Date.parse(body.eventTime) : Number.NaN;
  if (row.eventTime - (row.eventTime % 1000) !== second) {
    const date = new Date(row.eventTime);
    const stored = Number.isNaN(date.getTime()) ? row.eventTime : date.toISOString();
    return { column: 'event_time', detail: says(stored, body.eventTime), eventId };
  }
  const index = recordIndexOf(body);
  for (const [field, column] of COLUMNS) {
    const stored = field === 'resources' ? row.resources.map((r) => ({ type: r.type, name: r.name })) : row[field];
    if (JSON.stringify(stored) !== JSON.stringify(index[field])) return { column, detail: says(stored, index[field]), eventId };
  }
  return undefined;
}
