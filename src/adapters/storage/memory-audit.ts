/**
 * The AuditStore in memory, with the SQLite adapter's semantics (../audit/sqlite-audit.ts):
 * records by chain position, LookupEvents newest first by one attribute within an account and a
 * time range, digests by their last record, pruning up to an anchor that then heads the chain.
 * Records are appended only by the memory storage's commit (memory.ts), inside its transaction.
 * One chain only (''): the memory adapter serves one process, never writers that share storage.
 */
import type { AuditCursor, AuditLookup, AuditRow, AuditSigningKeyRecord, AuditStore, ChainHead } from '../../ports/audit.ts';
import { ConstraintError, type Draft, type MemoryDatabase, type Tables } from './memory-tables.ts';

/** A row with exactly the port's fields, as SQLite reads one back (nothing shared with the caller's). */
const copyRow = (r: AuditRow): AuditRow => ({
  seq: r.seq, eventTime: r.eventTime, eventId: r.eventId, eventName: r.eventName, eventSource: r.eventSource, readOnly: r.readOnly,
  username: r.username, accessKeyId: r.accessKeyId, accountId: r.accountId, ownerAccountId: r.ownerAccountId,
  resources: r.resources.map((e) => ({ type: e.type, name: e.name })), record: r.record, prevHash: r.prevHash, hash: r.hash, chain: '',
});
const copyKey = (k: AuditSigningKeyRecord): AuditSigningKeyRecord => ({ ...k, publicKey: Buffer.from(k.publicKey), wrapped: Buffer.from(k.wrapped) });

/** LookupEvents' attributes → whether a row matches the value (an unknown attribute matches nothing). */
const ATTRIBUTES: Readonly<Record<string, (r: AuditRow, value: string) => boolean>> = {
  EventId: (r, v) => r.eventId === v,
  EventName: (r, v) => r.eventName === v,
  EventSource: (r, v) => r.eventSource === v,
  ReadOnly: (r, v) => r.readOnly === (v === 'true'),
  Username: (r, v) => r.username === v,
  AccessKeyId: (r, v) => r.accessKeyId === v,
  ResourceName: (r, v) => r.resources.some((e) => e.name === v),
  ResourceType: (r, v) => r.resources.some((e) => e.type === v),
};

/** LookupEvents' order, newest first: event time, then chain, then seq (every record here is in the chain ''). */
const newerFirst = (a: AuditCursor, b: AuditCursor): number =>
  b.eventTime - a.eventTime || (a.chain < b.chain ? 1 : a.chain > b.chain ? -1 : 0) || b.seq - a.seq;

function matches(r: AuditRow, q: AuditLookup): boolean {
  if (q.before !== undefined && newerFirst({ eventTime: r.eventTime, chain: '', seq: r.seq }, q.before) <= 0) return false;
  if (r.accountId !== q.accountId && r.ownerAccountId !== q.accountId) return false;
  if (q.startTime !== undefined && r.eventTime < q.startTime) return false;
  if (q.endTime !== undefined && r.eventTime > q.endTime) return false;
  if (q.attribute === undefined) return true;
  const test = Object.hasOwn(ATTRIBUTES, q.attribute.key) ? ATTRIBUTES[q.attribute.key] : undefined;
  return test !== undefined && test(r, q.attribute.value);
}

/** The chain head as the next record must link to it: the newest record, else the prune anchor. */
export function auditHeadOf(t: Tables): ChainHead | undefined {
  const last = [...t.records.values()].at(-1);
  return last ? { seq: last.seq, hash: last.hash } : t.anchor.get('anchor');
}

/** Appends chained rows to a commit's draft, keeping the table in seq order (a repeated seq is refused). */
export function appendRows(d: Draft, rows: readonly AuditRow[]): void {
  if (rows.length === 0) return;
  const records = d.write('records');
  let ordered = true;
  let last = [...records.keys()].at(-1) ?? Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    if (records.has(r.seq)) throw new ConstraintError(`audit record ${r.seq} exists`);
    if (r.seq < last) ordered = false;
    last = Math.max(last, r.seq);
    records.set(r.seq, copyRow(r));
  }
  if (!ordered) {
    const sorted = [...records.values()].sort((a, b) => a.seq - b.seq);
    records.clear();
    for (const r of sorted) records.set(r.seq, r);
  }
}

export function memoryAuditStore(db: MemoryDatabase): AuditStore {
  const rows = (): AuditRow[] => [...db.tables.records.values()];
  const digests = () => [...db.tables.digests.values()].sort((a, b) => a.seqTo - b.seqTo);
  return {
    head: async () => auditHeadOf(db.tables),
    scan: async (fromSeq, limit) => rows().filter((r) => r.seq >= fromSeq).slice(0, Math.max(0, limit)).map(copyRow),
    lookup: async (q) => {
      const found = rows().filter((r) => matches(r, q) && (q.changesOnly !== true || !r.readOnly))
        .sort((a, b) => newerFirst({ eventTime: a.eventTime, chain: '', seq: a.seq }, { eventTime: b.eventTime, chain: '', seq: b.seq }));
      return found.slice(0, Math.max(0, q.limit)).map(copyRow);
    },
    digests: async () => digests().map((x) => ({ ...x })),
    digestsFrom: async (seqTo) => digests().filter((x) => x.seqTo >= seqTo).map((x) => ({ ...x })),
    lastDigest: async () => { const x = digests().at(-1); return x ? { ...x } : undefined; },
    putDigest: async (x) => db.transaction((d) => {
      if (d.read.digests.has(x.seqTo)) throw new ConstraintError(`a digest ends at record ${x.seqTo} already`);
      d.write('digests').set(x.seqTo, { ...x });
    }),
    anchor: async () => { const a = db.tables.anchor.get('anchor'); return a ? { ...a } : undefined; },
    prune: async (anchor) => db.transaction((d) => {
      const gone = [...d.read.records.keys()].filter((seq) => seq <= anchor.seq);
      const records = d.write('records');
      for (const seq of gone) records.delete(seq);
      d.write('anchor').set('anchor', { seq: anchor.seq, hash: anchor.hash });
      return gone.length;
    }),
    signingKey: async () => {
      let newest: AuditSigningKeyRecord | undefined;
      for (const k of db.tables.signingKeys.values()) if (newest === undefined || k.createdAt >= newest.createdAt) newest = k;
      return newest ? copyKey(newest) : undefined;
    },
    putSigningKey: async (k) => db.transaction((d) => {
      if (d.read.signingKeys.has(k.id)) throw new ConstraintError(`audit signing key ${k.id} exists`);
      d.write('signingKeys').set(k.id, copyKey(k));
    }),
    count: async () => db.tables.records.size,
    chains: async () => [''],
  };
}
