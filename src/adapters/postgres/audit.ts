/**
 * The audit trail in PostgreSQL. Several Coffer processes share one database and each appends to
 * its own hash chain, named by `chain`: records are keyed by (chain, seq), digests by (chain,
 * seq_to), the prune anchor is one per chain, and a store opened for a chain reads and writes that
 * chain only (head, scan, digests, prune, count). Two exceptions: `lookup` (LookupEvents) reads the
 * records of every chain, newest first by event time (then chain, then seq, descending), and the
 * signing keys are one table for all chains. Records are appended by storage.ts, in the commit's
 * transaction, through `pgChainHead` and `appendPgAuditRows`.
 *
 * Pagination is a cursor, the last record's (event time, chain, seq): exact across chains.
 */
import type pg from 'pg';
import type { AuditAnchor, AuditDigest, AuditLookup, AuditRow, AuditSigningKeyRecord, AuditStore, ChainHead } from '../../ports/audit.ts';
import { toDigest, toRow, type DigestRow, type RecordRow } from '../audit/audit-rows.ts';
import { rollback, withConnection } from './checkout.ts';
import { rows, run, type Param, type Queryable } from './query.ts';


/** The lookup attribute → SQL condition on the row, its value as parameter `$v` (one attribute per lookup, as CloudTrail allows). */
const ATTRIBUTE_SQL: Readonly<Record<string, string>> = {
  EventId: 'event_id = $v',
  EventName: 'event_name = $v',
  EventSource: 'event_source = $v',
  ReadOnly: 'read_only = $v::smallint',
  Username: 'username = $v',
  AccessKeyId: 'access_key_id = $v',
  ResourceName: "EXISTS (SELECT 1 FROM jsonb_array_elements(resources::jsonb) e WHERE e->>'name' = $v)",
  ResourceType: "EXISTS (SELECT 1 FROM jsonb_array_elements(resources::jsonb) e WHERE e->>'type' = $v)",
};

/** A chain's name: any non-empty text up to 200 characters (it is always a parameter, never SQL). */
export function checkChain(chain: string): string {
  if (chain.length === 0 || chain.length > 200) throw new RangeError('an audit chain name has 1 to 200 characters');
  return chain;
}

export type PgAuditStore = AuditStore & {
  /** Every chain of the database (with records, digests or an anchor), in byte order. */
  chains(): Promise<string[]>;
};

/** The AuditStore port for one chain of the database. Its own writes (digests, signing keys, pruning) are each one durable transaction. */
export function createPgAuditStore(pool: pg.Pool, chain: string): PgAuditStore {
  checkChain(chain);
  return {
    head: () => pgChainHead(pool, chain),
    scan: async (fromSeq, limit) =>
      (await rows<RecordRow>(pool, 'SELECT * FROM audit_records WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3', [chain, fromSeq, limit])).map(toRow),
    lookup: (q) => lookup(pool, q),
    digests: async () => (await rows<DigestRow>(pool, 'SELECT * FROM audit_digests WHERE chain = $1 ORDER BY seq_to', [chain])).map(toDigest),
    digestsFrom: async (seqTo) =>
      (await rows<DigestRow>(pool, 'SELECT * FROM audit_digests WHERE chain = $1 AND seq_to >= $2 ORDER BY seq_to', [chain, seqTo])).map(toDigest),
    lastDigest: async () => {
      const r = (await rows<DigestRow>(pool, 'SELECT * FROM audit_digests WHERE chain = $1 ORDER BY seq_to DESC LIMIT 1', [chain]))[0];
      return r ? toDigest(r) : undefined;
    },
    putDigest: async (d) => {
      await run(pool, `INSERT INTO audit_digests (chain, seq_to, seq_from, last_hash, first_time, last_time, created_at, prev_digest_hash, key_id, signature)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [chain, d.seqTo, d.seqFrom, d.lastHash, d.firstTime, d.lastTime, d.createdAt, d.prevDigestHash, d.keyId, d.signature]);
    },
    anchor: () => readAnchor(pool, chain),
    prune: (anchor) => prune(pool, chain, anchor),
    signingKey: async (): Promise<AuditSigningKeyRecord | undefined> => {
      const r = (await rows<{ id: string; public_key: Buffer; domain_key_id: string; wrapped: Buffer; created_at: number }>(pool,
        'SELECT * FROM audit_signing_keys ORDER BY created_at DESC, id DESC LIMIT 1'))[0];
      return r ? { id: r.id, publicKey: r.public_key, domainKeyId: r.domain_key_id, wrapped: r.wrapped, createdAt: r.created_at } : undefined;
    },
    putSigningKey: async (k) => {
      await run(pool, 'INSERT INTO audit_signing_keys (id, public_key, domain_key_id, wrapped, created_at) VALUES ($1, $2, $3, $4, $5)',
        [k.id, k.publicKey, k.domainKeyId, k.wrapped, k.createdAt]);
    },
    count: async () => (await rows<{ n: number }>(pool, 'SELECT count(*) AS n FROM audit_records WHERE chain = $1', [chain]))[0]?.n ?? 0,
    chains: () => pgAuditChains(pool),
  };
}

/** Every chain of the database (with records, digests or an anchor), in byte order: what verification walks. */
export async function pgAuditChains(pool: Queryable): Promise<string[]> {
  return (await rows<{ chain: string }>(pool, `SELECT chain FROM audit_records UNION SELECT chain FROM audit_digests
    UNION SELECT chain FROM audit_anchors ORDER BY chain`)).map((r) => r.chain);
}

/** Records of every chain, newest first by event time (then chain, seq), within the account (or as the resource's owner), after the cursor. */
async function lookup(pool: pg.Pool, l: AuditLookup): Promise<AuditRow[]> {
  const params: Param[] = [l.accountId];
  const where = ['(account_id = $1 OR owner_account_id = $1)'];
  if (l.before !== undefined) {
    params.push(l.before.eventTime, l.before.chain, l.before.seq);
    where.push(`(event_time, chain, seq) < ($${params.length - 2}, $${params.length - 1}, $${params.length})`);
  }
  if (l.attribute !== undefined) {
    const condition = ATTRIBUTE_SQL[l.attribute.key];
    if (condition === undefined) return [];
    params.push(l.attribute.key === 'ReadOnly' ? (l.attribute.value === 'true' ? 1 : 0) : l.attribute.value);
    where.push(condition.replaceAll('$v', `$${params.length}`));
  }
  // A literal term (not a parameter), so that the planner may use the partial indexes of state changes.
  if (l.changesOnly === true) where.push('read_only = 0');
  if (l.startTime !== undefined) { params.push(l.startTime); where.push(`event_time >= $${params.length}`); }
  if (l.endTime !== undefined) { params.push(l.endTime); where.push(`event_time <= $${params.length}`); }
  params.push(l.limit);
  const sql = `SELECT * FROM audit_records WHERE ${where.join(' AND ')} ORDER BY event_time DESC, chain DESC, seq DESC LIMIT $${params.length}`;
  return (await rows<RecordRow>(pool, sql, params)).map(toRow);
}

async function readAnchor(db: Queryable, chain: string): Promise<AuditAnchor | undefined> {
  const r = (await rows<{ seq: number; hash: string }>(db, 'SELECT seq, hash FROM audit_anchors WHERE chain = $1', [chain]))[0];
  return r ? { seq: r.seq, hash: r.hash } : undefined;
}

/** Removes the chain's records up to the anchor and stores it, in one durable transaction. */
async function prune(pool: pg.Pool, chain: string, anchor: AuditAnchor): Promise<number> {
  return withConnection(pool, async (client) => {
    await run(client, 'BEGIN');
    const n = await run(client, 'DELETE FROM audit_records WHERE chain = $1 AND seq <= $2', [chain, anchor.seq]);
    await run(client, 'INSERT INTO audit_anchors (chain, seq, hash) VALUES ($1, $2, $3) ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
      [chain, anchor.seq, anchor.hash]);
    await run(client, 'COMMIT');
    return n;
  }, rollback);
}

/** The chain head as the next record must link to it: the chain's newest record, else its prune anchor. */
export async function pgChainHead(db: Queryable, chain: string): Promise<ChainHead | undefined> {
  const last = (await rows<{ seq: number; hash: string }>(db, 'SELECT seq, hash FROM audit_records WHERE chain = $1 ORDER BY seq DESC LIMIT 1', [chain]))[0];
  return last ? { seq: last.seq, hash: last.hash } : readAnchor(db, chain);
}

/** Appends chained rows to the chain in one statement; called by storage.ts inside the commit's transaction. */
export async function appendPgAuditRows(db: Queryable, chain: string, rowsToAdd: readonly AuditRow[]): Promise<void> {
  if (rowsToAdd.length === 0) return;
  const col = <T extends string | number | null>(f: (r: AuditRow) => T): T[] => rowsToAdd.map(f);
  await run(db, `INSERT INTO audit_records (chain, seq, event_time, event_id, event_name, event_source, read_only, username,
      access_key_id, account_id, owner_account_id, resources, record, prev_hash, hash)
    SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::smallint[], $8::text[],
      $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])`, [
    chain, col((r) => r.seq), col((r) => r.eventTime), col((r) => r.eventId), col((r) => r.eventName), col((r) => r.eventSource),
    col((r) => (r.readOnly ? 1 : 0)), col((r) => r.username ?? null), col((r) => r.accessKeyId ?? null), col((r) => r.accountId),
    col((r) => r.ownerAccountId ?? null), col((r) => JSON.stringify(r.resources)), col((r) => r.record), col((r) => r.prevHash), col((r) => r.hash),
  ]);
}
