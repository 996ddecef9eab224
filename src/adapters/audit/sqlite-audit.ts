/**
 * The audit trail in the data folder's SQLite database (the handle the key repository uses, so a
 * mutation and its record share one transaction). Records are rows keyed by their chain and their
 * position in it (each writer sharing the database appends to its own chain: the workers of
 * COFFER_WORKERS); the lookup columns are plain columns, and LookupEvents scans every chain newest
 * first by event time (one index beside the records' own). Records of state changes (a few percent
 * of a trail) are also indexed by name and by time (partial indexes, nothing for an Encrypt's
 * record), so that a lookup of a rare management event reads only them.
 */
import type Database from 'better-sqlite3';
import type { AuditAnchor, AuditDigest, AuditLookup, AuditRow, AuditSigningKeyRecord, AuditStore, ChainHead } from '../../ports/audit.ts';
import { toDigest, toRow, type DigestRow, type RecordRow } from './audit-rows.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_records (
  chain TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL, event_time INTEGER NOT NULL, event_id TEXT NOT NULL, event_name TEXT NOT NULL,
  event_source TEXT NOT NULL, read_only INTEGER NOT NULL, username TEXT, access_key_id TEXT,
  account_id TEXT NOT NULL, owner_account_id TEXT, resources TEXT NOT NULL,
  record TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (chain, seq));
CREATE INDEX IF NOT EXISTS audit_records_by_time ON audit_records (event_time, chain, seq);
CREATE INDEX IF NOT EXISTS audit_records_changes_by_name ON audit_records (event_name, event_time, chain, seq) WHERE read_only = 0;
CREATE INDEX IF NOT EXISTS audit_records_changes_by_time ON audit_records (event_time, chain, seq) WHERE read_only = 0;
CREATE TABLE IF NOT EXISTS audit_digests (
  chain TEXT NOT NULL DEFAULT '', seq_to INTEGER NOT NULL, seq_from INTEGER NOT NULL, last_hash TEXT NOT NULL, first_time INTEGER NOT NULL,
  last_time INTEGER NOT NULL, created_at INTEGER NOT NULL, prev_digest_hash TEXT NOT NULL, key_id TEXT NOT NULL,
  signature TEXT NOT NULL, PRIMARY KEY (chain, seq_to));
CREATE TABLE IF NOT EXISTS audit_signing_keys (
  id TEXT PRIMARY KEY, public_key BLOB NOT NULL, domain_key_id TEXT NOT NULL, wrapped BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * Trails written before chains (one writer per data folder) keyed records by seq alone: their
 * tables are rebuilt with a chain column, every old record and digest in the chain '' (the first
 * writer's), in one transaction, before anything else reads them.
 */
function ensureSchema(db: Database.Database): void {
  const cols = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('audit_records')").all();
  if (cols.length > 0 && !cols.some((c) => c.name === 'chain')) {
    db.transaction(() => {
      db.exec('ALTER TABLE audit_records RENAME TO audit_records_v1');
      db.exec('ALTER TABLE audit_digests RENAME TO audit_digests_v1');
      db.exec(SCHEMA);
      db.exec(`INSERT INTO audit_records SELECT '', seq, event_time, event_id, event_name, event_source, read_only, username, access_key_id,
        account_id, owner_account_id, resources, record, prev_hash, hash FROM audit_records_v1`);
      db.exec(`INSERT INTO audit_digests SELECT '', seq_to, seq_from, last_hash, first_time, last_time, created_at, prev_digest_hash, key_id,
        signature FROM audit_digests_v1`);
      db.exec('DROP TABLE audit_records_v1');
      db.exec('DROP TABLE audit_digests_v1');
    }).immediate();
    return;
  }
  db.exec(SCHEMA);
}

/** The audit_state row of a chain's prune anchor ('anchor' for the first chain, as before chains). */
const anchorName = (chain: string): string => (chain === '' ? 'anchor' : `anchor:${chain}`);


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

/**
 * The AuditStore port's reads and its own writes (digests, signing key, pruning), each durable, for
 * one chain of the database (each writer appends to its own; '' is the first writer's). Lookups
 * read every chain's records, newest first by event time.
 */
export function createSqliteAuditStore(db: Database.Database, chain = ''): AuditStore {
  ensureSchema(db);
  const q = {
    scan: db.prepare<[string, number, number], RecordRow>('SELECT * FROM audit_records WHERE chain = ? AND seq >= ? ORDER BY seq LIMIT ?'),
    digests: db.prepare<[string], DigestRow>('SELECT * FROM audit_digests WHERE chain = ? ORDER BY seq_to'),
    lastDigest: db.prepare<[string], DigestRow>('SELECT * FROM audit_digests WHERE chain = ? ORDER BY seq_to DESC LIMIT 1'),
    digestsFrom: db.prepare<[string, number], DigestRow>('SELECT * FROM audit_digests WHERE chain = ? AND seq_to >= ? ORDER BY seq_to'),
    putDigest: db.prepare(`INSERT INTO audit_digests (chain, seq_to, seq_from, last_hash, first_time, last_time, created_at, prev_digest_hash, key_id, signature)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    getState: db.prepare<[string], { value: string }>('SELECT value FROM audit_state WHERE name = ?'),
    setState: db.prepare('INSERT INTO audit_state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
    prune: db.prepare('DELETE FROM audit_records WHERE chain = ? AND seq <= ?'),
    signingKey: db.prepare<[], { id: string; public_key: Buffer; domain_key_id: string; wrapped: Buffer; created_at: number }>(
      'SELECT * FROM audit_signing_keys ORDER BY created_at DESC LIMIT 1'),
    putSigningKey: db.prepare('INSERT INTO audit_signing_keys (id, public_key, domain_key_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)'),
    count: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM audit_records WHERE chain = ?'),
    chains: db.prepare<[], { chain: string }>("SELECT chain FROM audit_records UNION SELECT chain FROM audit_digests UNION SELECT substr(name, 8) FROM audit_state WHERE name LIKE 'anchor:%' UNION SELECT '' FROM audit_state WHERE name = 'anchor' ORDER BY 1"),
  };
  const head = auditHead(db, chain);
  const lookups = new Map<string, Database.Statement<Record<string, string | number>, RecordRow>>();
  const lookupStatement = (attribute: string | undefined, start: boolean, end: boolean, before: boolean, changesOnly: boolean) => {
    const cacheKey = `${attribute ?? ''}|${start}|${end}|${before}|${changesOnly}`;
    let st = lookups.get(cacheKey);
    if (!st) {
      const where = ['(account_id = @account OR owner_account_id = @account)'];
      if (before) where.push('(event_time, chain, seq) < (@beforeTime, @beforeChain, @beforeSeq)');
      if (attribute !== undefined) where.push(ATTRIBUTE_SQL[attribute] ?? '0');
      // A literal term (not a parameter), so that the planner may use the partial indexes of state changes.
      if (changesOnly) where.push('read_only = 0');
      if (start) where.push('event_time >= @start');
      if (end) where.push('event_time <= @end');
      st = db.prepare<Record<string, string | number>, RecordRow>(
        `SELECT * FROM audit_records WHERE ${where.join(' AND ')} ORDER BY event_time DESC, chain DESC, seq DESC LIMIT @limit`);
      lookups.set(cacheKey, st);
    }
    return st;
  };
  const write = <T>(fn: () => T): T => db.transaction(fn).immediate();

  return {
    head: async () => head(),
    scan: async (fromSeq, limit) => q.scan.all(chain, fromSeq, limit).map(toRow),
    lookup: async (l: AuditLookup) => {
      const params: Record<string, string | number> = { account: l.accountId, limit: l.limit };
      if (l.before !== undefined) {
        params.beforeTime = l.before.eventTime;
        params.beforeChain = l.before.chain;
        params.beforeSeq = l.before.seq;
      }
      if (l.attribute) params.value = l.attribute.key === 'ReadOnly' ? (l.attribute.value === 'true' ? 1 : 0) : l.attribute.value;
      if (l.startTime !== undefined) params.start = l.startTime;
      if (l.endTime !== undefined) params.end = l.endTime;
      return lookupStatement(l.attribute?.key, l.startTime !== undefined, l.endTime !== undefined, l.before !== undefined, l.changesOnly === true).all(params).map(toRow);
    },
    digests: async () => q.digests.all(chain).map(toDigest),
    digestsFrom: async (seqTo) => q.digestsFrom.all(chain, seqTo).map(toDigest),
    lastDigest: async () => { const r = q.lastDigest.get(chain); return r ? toDigest(r) : undefined; },
    putDigest: async (d) => { write(() => q.putDigest.run(chain, d.seqTo, d.seqFrom, d.lastHash, d.firstTime, d.lastTime, d.createdAt, d.prevDigestHash, d.keyId, d.signature)); },
    anchor: async () => readAnchor(q.getState.get(anchorName(chain))),
    prune: async (anchor) => write(() => {
      const n = q.prune.run(chain, anchor.seq).changes;
      q.setState.run(anchorName(chain), JSON.stringify(anchor));
      return n;
    }),
    signingKey: async (): Promise<AuditSigningKeyRecord | undefined> => {
      const r = q.signingKey.get();
      return r ? { id: r.id, publicKey: r.public_key, domainKeyId: r.domain_key_id, wrapped: r.wrapped, createdAt: r.created_at } : undefined;
    },
    putSigningKey: async (k) => { write(() => q.putSigningKey.run(k.id, k.publicKey, k.domainKeyId, k.wrapped, k.createdAt)); },
    count: async () => q.count.get(chain)?.n ?? 0,
    chains: async () => q.chains.all().map((r) => r.chain),
  };
}

const readAnchor = (r: { value: string } | undefined): AuditAnchor | undefined => (r ? (JSON.parse(r.value) as AuditAnchor) : undefined);

/** The chain head as the next record must link to it: the chain's newest record, else its prune anchor. */
export function auditHead(db: Database.Database, chain = ''): () => ChainHead | undefined {
  ensureSchema(db);
  const last = db.prepare<[string], { seq: number; hash: string }>('SELECT seq, hash FROM audit_records WHERE chain = ? ORDER BY seq DESC LIMIT 1');
  const anchor = db.prepare<[string], { value: string }>('SELECT value FROM audit_state WHERE name = ?');
  return () => last.get(chain) ?? readAnchor(anchor.get(anchorName(chain)));
}

/** Appends chained rows to a chain; called by sqlite-storage.ts inside the commit's transaction. */
export function auditRowAppender(db: Database.Database, chain = ''): (rows: readonly AuditRow[]) => void {
  ensureSchema(db);
  const insert = db.prepare(`INSERT INTO audit_records (chain, seq, event_time, event_id, event_name, event_source, read_only, username,
      access_key_id, account_id, owner_account_id, resources, record, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return (rows) => {
    for (const r of rows) {
      insert.run(chain, r.seq, r.eventTime, r.eventId, r.eventName, r.eventSource, r.readOnly ? 1 : 0, r.username ?? null,
        r.accessKeyId ?? null, r.accountId, r.ownerAccountId ?? null, JSON.stringify(r.resources), r.record, r.prevHash, r.hash);
    }
  };
}

/** Every record of a chain in seq order, read page by page (the admin command's verify and export, on a stopped server). */
export function* auditRowsOf(db: Database.Database, pageSize = 1000, chain = ''): Generator<AuditRow> {
  ensureSchema(db);
  const scan = db.prepare<[string, number, number], RecordRow>('SELECT * FROM audit_records WHERE chain = ? AND seq >= ? ORDER BY seq LIMIT ?');
  for (let from = 0; ;) {
    const page = scan.all(chain, from, pageSize).map(toRow);
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < pageSize) return;
    from = last.seq + 1;
  }
}

/** A chain's digests whose last record is `seqTo` or later, read synchronously (the digest logs' catch-up at start and after a failed append). */
export function sqliteDigestsFrom(db: Database.Database, chain = ''): (seqTo: number) => AuditDigest[] {
  ensureSchema(db);
  const q = db.prepare<[string, number], DigestRow>('SELECT * FROM audit_digests WHERE chain = ? AND seq_to >= ? ORDER BY seq_to');
  return (seqTo) => q.all(chain, seqTo).map(toDigest);
}

/** Every audit signing key, oldest first (a copy to another backend: `migrate-storage`). */
export function sqliteAuditSigningKeys(db: Database.Database): AuditSigningKeyRecord[] {
  ensureSchema(db);
  return db.prepare<[], { id: string; public_key: Buffer; domain_key_id: string; wrapped: Buffer; created_at: number }>(
    'SELECT * FROM audit_signing_keys ORDER BY created_at, id').all()
    .map((r) => ({ id: r.id, publicKey: r.public_key, domainKeyId: r.domain_key_id, wrapped: r.wrapped, createdAt: r.created_at }));
}
