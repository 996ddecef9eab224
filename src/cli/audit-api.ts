/**
 * The audit trail as the running server's admin API answers it (operations/coffer/admin-audit.ts):
 * the online `coffer audit …` reads it here and checks it with the same code as the offline path
 * (audit.ts `auditVerify` over audit/verify.ts), so there is one verifier, run where the operator
 * is, against a key and digest logs the operator chooses.
 *
 * The digests (and prune anchors) are read before the records: records written meanwhile are then
 * only "not yet covered by a digest", never records a listed digest covers but the export lacks.
 * A prune by someone else while the trail is read makes verification fail (read it again).
 * Every record and digest is held in memory while it is verified, as on PostgreSQL (backend.ts).
 */
import { createPublicKey } from 'node:crypto';
import { recordIndexOf } from '../audit/record-index.ts';
import type { AuditAnchor, AuditDigest, AuditRow } from '../ports/audit.ts';
import type { AuditSource, ChainView, ExportedRow } from './audit.ts';
import type { AdminCall } from './commands/offline.ts';

/** Records and digests asked for per call (the API's most). */
const PAGE = 1000;
/** Pages read at most for one command, so a server that answers a NextToken forever cannot keep the command running. */
const MAX_PAGES = 1_000_000;

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new Error(`the server answered no ${what}`);
  return v;
};
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`the server answered no ${what}`);
  return v;
};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);

/** Every page of a paginated operation (NextToken). */
async function* pages(call: AdminCall, operation: string, input: Record<string, unknown>): AsyncIterable<Record<string, unknown>> {
  let token: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const page = await call(operation, { ...input, Limit: PAGE, ...(token !== undefined ? { NextToken: token } : {}) });
    yield page;
    token = typeof page.NextToken === 'string' ? page.NextToken : undefined;
    if (token === undefined) return;
  }
  throw new Error(`${operation} answered more than ${MAX_PAGES} pages`);
}

/** The exported records, page by page (ExportAuditRecords); `since` includes, `before` excludes. */
export async function* exportedRows(call: AdminCall, since: number | undefined, before: number | undefined): AsyncIterable<ExportedRow> {
  const window = { ...(since !== undefined ? { StartTime: since / 1000 } : {}), ...(before !== undefined ? { EndTime: before / 1000 } : {}) };
  for await (const page of pages(call, 'ExportAuditRecords', window)) {
    for (const r of list(page.Records)) {
      yield { chain: str(r.Chain, 'chain'), seq: num(r.Seq, 'seq'), prevHash: str(r.PrevHash, 'prevHash'), hash: str(r.Hash, 'hash'), record: str(r.Record, 'record') };
    }
  }
}

/** A stored row again, its lookup columns read from the record as the writer computed them (record-index.ts). */
function rowOf(r: ExportedRow): AuditRow {
  let json: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(r.record);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) json = v as Record<string, unknown>;
  } catch { /* an unreadable record fails its hash check or reads as indexed under nothing */ }
  const eventTime = typeof json.eventTime === 'string' ? Date.parse(json.eventTime) : Number.NaN;
  return {
    ...recordIndexOf(json), chain: r.chain, seq: r.seq, prevHash: r.prevHash, hash: r.hash, record: r.record,
    eventTime: Number.isNaN(eventTime) ? 0 : eventTime, eventId: typeof json.eventID === 'string' ? json.eventID : '',
  };
}

/** The newest audit signing key's public half as the server answers it (GetAuditPublicKey). */
export async function serverPublicKey(call: AdminCall): Promise<{ id: string; pem: string }> {
  const k = await call('GetAuditPublicKey', {});
  return { id: str(k.KeyId, 'key id'), pem: str(k.PublicKey, 'public key') };
}

/** The whole trail as the API answers it: digests and anchors first, then every record. */
export async function apiAuditSource(call: AdminCall): Promise<AuditSource> {
  const key = await serverPublicKey(call);
  const publicKey = createPublicKey(key.pem).export({ format: 'der', type: 'spki' });
  const digests = new Map<string, AuditDigest[]>();
  const anchors = new Map<string, AuditAnchor>();
  for await (const page of pages(call, 'ListAuditDigests', {})) {
    for (const a of list(page.Anchors)) anchors.set(str(a.Chain, 'chain'), { seq: num(a.Seq, 'anchor seq'), hash: str(a.Hash, 'anchor hash') });
    for (const d of list(page.Digests)) {
      const chain = str(d.Chain, 'chain');
      const ds = digests.get(chain) ?? [];
      ds.push({
        seqFrom: num(d.SeqFrom, 'seqFrom'), seqTo: num(d.SeqTo, 'seqTo'), lastHash: str(d.LastHash, 'lastHash'),
        firstTime: num(d.FirstTime, 'firstTime'), lastTime: num(d.LastTime, 'lastTime'), createdAt: num(d.CreatedAt, 'createdAt'),
        prevDigestHash: str(d.PrevDigestHash, 'prevDigestHash'), keyId: str(d.KeyId, 'keyId'), signature: str(d.Signature, 'signature'),
      });
      digests.set(chain, ds);
    }
  }
  const rows = new Map<string, AuditRow[]>();
  for await (const r of exportedRows(call, undefined, undefined)) {
    const rs = rows.get(r.chain) ?? [];
    rs.push(rowOf(r));
    rows.set(r.chain, rs);
  }
  const chains = [...new Set([...rows.keys(), ...digests.keys(), ...anchors.keys()])].sort();
  const view = (chain: string): ChainView => ({
    signingKey: () => Promise.resolve({ id: key.id, publicKey }),
    digests: () => Promise.resolve(digests.get(chain) ?? []),
    anchor: () => Promise.resolve(anchors.get(chain)),
  });
  return {
    chains: () => Promise.resolve(chains.length > 0 ? [...chains] : ['']),
    store: view,
    rows: (chain) => rows.get(chain) ?? [],
  };
}
