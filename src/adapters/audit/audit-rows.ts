/**
 * An audit record's row as the SQL stores keep it (SQLite, PostgreSQL) read back as an AuditRow:
 * the lookup columns are plain columns beside the record, so a column that holds a value the
 * writers never write is reported by name (`malformedColumn`) rather than read as something that
 * would agree with the record.
 */
import type { AuditDigest, AuditRow } from '../../ports/audit.ts';

/** A type, not an interface, so that a row is also a plain Record of its cells (see malformedColumn). */
export type RecordRow = {
  /** The writer's chain (a store that keeps several). */
  chain?: string;
  seq: number; event_time: number; event_id: string; event_name: string; event_source: string; read_only: number;
  username: string | null; access_key_id: string | null; account_id: string; owner_account_id: string | null;
  resources: string; record: string; prev_hash: string; hash: string;
};

type Resources = AuditRow['resources'];

function parseResources(text: string): Resources | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as Resources) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The first lookup column holding a value `append` never writes. SQLite compares such a value
 * otherwise than its JavaScript reading (read_only 2 matches neither ReadOnly=true nor false;
 * json_extract takes a repeated key's first value, JSON.parse its last), so it is reported rather
 * than read as something that would agree with the record.
 */
function malformedColumn(r: RecordRow, resources: Resources | undefined): string | undefined {
  const cells: Readonly<Record<string, unknown>> = r;
  if (typeof cells.event_time !== 'number' || !Number.isSafeInteger(cells.event_time)) return 'event_time';
  for (const c of ['event_id', 'event_name', 'event_source', 'account_id']) if (typeof cells[c] !== 'string') return c;
  for (const c of ['username', 'access_key_id', 'owner_account_id']) if (cells[c] !== null && typeof cells[c] !== 'string') return c;
  if (cells.read_only !== 0 && cells.read_only !== 1) return 'read_only';
  const canonical = resources?.every((e) => typeof e === 'object' && e !== null && typeof e.type === 'string' && typeof e.name === 'string')
    ? JSON.stringify(resources.map((e) => ({ type: e.type, name: e.name })))
    : undefined;
  return canonical === r.resources ? undefined : 'resources';
}

export const toRow = (r: RecordRow): AuditRow => {
  const resources = parseResources(r.resources);
  const malformed = malformedColumn(r, resources);
  return {
    ...(r.chain !== undefined ? { chain: r.chain } : {}),
    seq: r.seq, eventTime: r.event_time, eventId: r.event_id, eventName: r.event_name, eventSource: r.event_source,
    readOnly: r.read_only === 1, username: r.username ?? undefined, accessKeyId: r.access_key_id ?? undefined,
    accountId: r.account_id, ownerAccountId: r.owner_account_id ?? undefined,
    resources: resources ?? [], record: r.record, prevHash: r.prev_hash, hash: r.hash,
    ...(malformed !== undefined ? { malformedColumn: malformed } : {}),
  };
};

/** A signed digest's row (its chain's column aside). */
export interface DigestRow {
  seq_to: number; seq_from: number; last_hash: string; first_time: number; last_time: number; created_at: number;
  prev_digest_hash: string; key_id: string; signature: string;
}

export const toDigest = (r: DigestRow): AuditDigest => ({
  seqFrom: r.seq_from, seqTo: r.seq_to, lastHash: r.last_hash, firstTime: r.first_time, lastTime: r.last_time,
  createdAt: r.created_at, prevDigestHash: r.prev_digest_hash, keyId: r.key_id, signature: r.signature,
});
