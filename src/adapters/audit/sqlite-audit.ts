/**
 * The audit trail in the data folder's SQLite database (the handle the key repository uses, so a
 * mutation and its record share one transaction). Records are rows keyed by their chain position;
 * the lookup columns are plain columns and LookupEvents scans newest first from a position, so an
 * insert updates one B-tree only (the hot path's group commit stays cheap).
 */
import type Database from 'better-sqlite3';
import type { AuditAnchor, AuditDigest, AuditLookup, AuditRow, AuditSigningKeyRecord, AuditStore, ChainHead } from '../../ports/audit.ts';
import { toRow, type RecordRow } from './audit-rows.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_records (
  seq INTEGER PRIMARY KEY, event_time INTEGER NOT NULL, event_id TEXT NOT NULL, event_name TEXT NOT NULL,
  event_source TEXT NOT NULL, read_only INTEGER NOT NULL, username TEXT, access_key_id TEXT,
  account_id TEXT NOT NULL, owner_account_id TEXT, resources TEXT NOT NULL,
  record TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_digests (
  seq_to INTEGER PRIMARY KEY, seq_from INTEGER NOT NULL, last_hash TEXT NOT NULL, first_time INTEGER NOT NULL,
  last_time INTEGER NOT NULL, created_at INTEGER NOT NULL, prev_digest_hash TEXT NOT NULL, key_id TEXT NOT NULL,
  signature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_signing_keys (
  id TEXT PRIMARY KEY, public_key BLOB NOT NULL, domain_key_id TEXT NOT NULL, wrapped BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

interface DigestRow {
  seq_to: number; seq_from: number; last_hash: string; first_time: number; last_time: number; created_at: number;
  prev_digest_hash: string; key_id: string; signature: string;
}

const toDigest = (r: DigestRow): AuditDigest => ({
  seqFrom: r.seq_from, seqTo: r.seq_to, lastHash: r.last_hash, firstTime: r.first_time, lastTime: r.last_time,
  createdAt: r.created_at, prevDigestHash: r.prev_digest_hash, keyId: r.key_id, signature: r.signature,
});

/** The lookup attribute → SQL condition on the row (one attribute per lookup, as CloudTrail allows). */
const ATTRIBUTE_SQL: Readonly<Record<string, string>> = {
  EventId: 'event_id = @value',
  EventName: 'event_name = @value',
  EventSource: 'event_source = @value',
  ReadOnly: 'read_only = @value',
  Username: 'username = @value',
  AccessKeyId: 'access_key_id = @value',
  ResourceName: "EXISTS (SELECT 1 FROM json_each(resources) WHERE json_extract(value, '$.name') = @value)",
  ResourceType: "EXISTS (SELECT 1 FROM json_each(resources) WHERE json_extract(value, '$.type') = @value)",
};

/** The AuditStore port's reads and its own writes (digests, signing key, pruning), each durable. */
export function createSqliteAuditStore(db: Database.Database): AuditStore {
  db.exec(SCHEMA);
  const q = {
    scan: db.prepare<[number, number], RecordRow>('SELECT * FROM audit_records WHERE seq >= ? ORDER BY seq LIMIT ?'),
    digests: db.prepare<[], DigestRow>('SELECT * FROM audit_digests ORDER BY seq_to'),
    lastDigest: db.prepare<[], DigestRow>('SELECT * FROM audit_digests ORDER BY seq_to DESC LIMIT 1'),
    digestsFrom: db.prepare<[number], DigestRow>('SELECT * FROM audit_digests WHERE seq_to >= ? ORDER BY seq_to'),
    putDigest: db.prepare(`INSERT INTO audit_digests (seq_to, seq_from, last_hash, first_time, last_time, created_at, prev_digest_hash, key_id, signature)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    getState: db.prepare<[string], { value: string }>('SELECT value FROM audit_state WHERE name = ?'),
    setState: db.prepare('INSERT INTO audit_state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
    prune: db.prepare('DELETE FROM audit_records WHERE seq <= ?'),
    signingKey: db.prepare<[], { id: string; public_key: Buffer; domain_key_id: string; wrapped: Buffer; created_at: number }>(
      'SELECT * FROM audit_signing_keys ORDER BY created_at DESC LIMIT 1'),
    putSigningKey: db.prepare('INSERT INTO audit_signing_keys (id, public_key, domain_key_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)'),
    count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_records'),
  };
  const head = auditHead(db);
  const lookups = new Map<string, Database.Statement<Record<string, string | number>, RecordRow>>();
  const lookupStatement = (attribute: string | undefined, start: boolean, end: boolean) => {
    const cacheKey = `${attribute ?? ''}|${start}|${end}`;
    let st = lookups.get(cacheKey);
    if (!st) {
      const where = ['seq < @before', '(account_id = @account OR owner_account_id = @account)'];
      if (attribute !== undefined) where.push(ATTRIBUTE_SQL[attribute] ?? '0');
      if (start) where.push('event_time >= @start');
      if (end) where.push('event_time <= @end');
      st = db.prepare<Record<string, string | number>, RecordRow>(`SELECT * FROM audit_records WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT @limit`);
      lookups.set(cacheKey, st);
    }
    return st;
  };
  const write = <T>(fn: () => T): T => db.transaction(fn).immediate();

  return {
    head: async () => head(),
    scan: async (fromSeq, limit) => q.scan.all(fromSeq, limit).map(toRow),
    lookup: async (l: AuditLookup) => {
      const params: Record<string, string | number> = { before: l.beforeSeq ?? Number.MAX_SAFE_INTEGER, account: l.accountId, limit: l.limit };
      if (l.attribute) params.value = l.attribute.key === 'ReadOnly' ? (l.attribute.value === 'true' ? 1 : 0) : l.attribute.value;
      if (l.startTime !== undefined) params.start = l.startTime;
      if (l.endTime !== undefined) params.end = l.endTime;
      return lookupStatement(l.attribute?.key, l.startTime !== undefined, l.endTime !== undefined).all(params).map(toRow);
    },
    digests: async () => q.digests.all().map(toDigest),
    digestsFrom: async (seqTo) => q.digestsFrom.all(seqTo).map(toDigest),
    lastDigest: async () => { const r = q.lastDigest.get(); return r ? toDigest(r) : undefined; },
    putDigest: async (d) => { write(() => q.putDigest.run(d.seqTo, d.seqFrom, d.lastHash, d.firstTime, d.lastTime, d.createdAt, d.prevDigestHash, d.keyId, d.signature)); },
    anchor: async () => readAnchor(q.getState.get('anchor')),
    prune: async (anchor) => write(() => {
      const n = q.prune.run(anchor.seq).changes;
      q.setState.run('anchor', JSON.stringify(anchor));
      return n;
    }),
    signingKey: async (): Promise<AuditSigningKeyRecord | undefined> => {
      const r = q.signingKey.get();
      return r ? { id: r.id, publicKey: r.public_key, domainKeyId: r.domain_key_id, wrapped: r.wrapped, createdAt: r.created_at } : undefined;
    },
    putSigningKey: async (k) => { write(() => q.putSigningKey.run(k.id, k.publicKey, k.domainKeyId, k.wrapped, k.createdAt)); },
    count: async () => q.count.get()?.n ?? 0,
  };
}

const readAnchor = (r: { value: string } | undefined): AuditAnchor | undefined => (r ? (JSON.parse(r.value) as AuditAnchor) : undefined);

/** The chain head as the next record must link to it: the newest record, else the prune anchor. */
export function auditHead(db: Database.Database): () => ChainHead | undefined {
  db.exec(SCHEMA);
  const last = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1');
  const anchor = db.prepare<[string], { value: string }>('SELECT value FROM audit_state WHERE name = ?');
  return () => last.get() ?? readAnchor(anchor.get('anchor'));
}

/** Appends chained rows; called by sqlite-storage.ts inside the commit's transaction. */
export function auditRowAppender(db: Database.Database): (rows: readonly AuditRow[]) => void {
  db.exec(SCHEMA);
  const insert = db.prepare(`INSERT INTO audit_records (seq, event_time, event_id, event_name, event_source, read_only, username,
      access_key_id, account_id, owner_account_id, resources, record, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return (rows) => {
    for (const r of rows) {
      insert.run(r.seq, r.eventTime, r.eventId, r.eventName, r.eventSource, r.readOnly ? 1 : 0, r.username ?? null,
        r.accessKeyId ?? null, r.accountId, r.ownerAccountId ?? null, JSON.stringify(r.resources), r.record, r.prevHash, r.hash);
    }
  };
}

/** Every record in seq order, read page by page (the admin command's verify and export, on a stopped server). */
export function* auditRowsOf(db: Database.Database, pageSize = 1000): Generator<AuditRow> {
  db.exec(SCHEMA);
  const scan = db.prepare<[number, number], RecordRow>('SELECT * FROM audit_records WHERE seq >= ? ORDER BY seq LIMIT ?');
  for (let from = 0; ;) {
    const page = scan.all(from, pageSize).map(toRow);
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < pageSize) return;
    from = last.seq + 1;
  }
}

/** The digests whose last record is `seqTo` or later, read synchronously (the digest logs' catch-up at start and after a failed append). */
export function sqliteDigestsFrom(db: Database.Database): (seqTo: number) => AuditDigest[] {
  db.exec(SCHEMA);
  const q = db.prepare<[number], DigestRow>('SELECT * FROM audit_digests WHERE seq_to >= ? ORDER BY seq_to');
  return (seqTo) => q.all(seqTo).map(toDigest);
}
