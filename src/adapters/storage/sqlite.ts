/**
 * The embedded KeyRepository: one SQLite file in the data folder, WAL journal with
 * synchronous=FULL so that a committed transaction survives power loss and `kill -9`.
 * Key metadata is one JSON document per key plus the columns the scheduler queries.
 */
import Database from 'better-sqlite3';
import { nextMaterialExpiry, type KeyRecord, type MaterialRecord } from '../../domain/key.ts';
import type { GrantRecord } from '../../domain/grant.ts';
import type { AliasRecord, DomainKeyRecord, KeyRepository, KeyUsageRecord } from '../../ports/key-repository.ts';
import { describeFault, isStorageFault, StorageFault } from '../../errors/storage-fault.ts';
import { checkWal } from './sqlite-wal-check.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS domain_keys (id TEXT PRIMARY KEY, wrapped BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
  arn TEXT PRIMARY KEY, key_id TEXT NOT NULL, account_id TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL,
  deletion_date INTEGER, next_rotation INTEGER, material_expiry INTEGER);
CREATE INDEX IF NOT EXISTS keys_by_id ON keys (key_id, region);
CREATE INDEX IF NOT EXISTS keys_by_scope ON keys (account_id, region, arn);
CREATE INDEX IF NOT EXISTS keys_by_deletion ON keys (deletion_date) WHERE deletion_date IS NOT NULL;
CREATE INDEX IF NOT EXISTS keys_by_rotation ON keys (next_rotation) WHERE next_rotation IS NOT NULL;
CREATE TABLE IF NOT EXISTS key_materials (
  key_arn TEXT NOT NULL REFERENCES keys(arn) ON DELETE CASCADE, material_id TEXT NOT NULL,
  domain_key_id TEXT NOT NULL, wrapped BLOB NOT NULL, created_at INTEGER NOT NULL, rotation_type TEXT,
  PRIMARY KEY (key_arn, material_id));
CREATE TABLE IF NOT EXISTS aliases (
  account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
  target_key_arn TEXT NOT NULL REFERENCES keys(arn) ON DELETE CASCADE,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (account_id, region, name));
CREATE INDEX IF NOT EXISTS aliases_by_key ON aliases (target_key_arn);
CREATE TABLE IF NOT EXISTS grants (
  grant_id TEXT PRIMARY KEY, key_arn TEXT NOT NULL REFERENCES keys(arn) ON DELETE CASCADE,
  retiring_principal TEXT, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS grants_by_key ON grants (key_arn, grant_id);
CREATE INDEX IF NOT EXISTS grants_by_retiring ON grants (retiring_principal, grant_id) WHERE retiring_principal IS NOT NULL;
CREATE TABLE IF NOT EXISTS key_usage (
  key_arn TEXT PRIMARY KEY REFERENCES keys(arn) ON DELETE CASCADE,
  operation TEXT NOT NULL, ts INTEGER NOT NULL, request_id TEXT NOT NULL);
`;

interface KeyRow { doc: string }
interface MaterialRow { key_arn: string; material_id: string; domain_key_id: string; wrapped: Buffer; created_at: number; rotation_type: string | null }
interface AliasRow { account_id: string; region: string; name: string; target_key_arn: string; created_at: number; updated_at: number }

/**
 * A stored document as it was written, or a StorageFault: a record that no longer parses, or lost
 * the fields every reader relies on, was damaged beneath Coffer (never the client's doing).
 */
function readDoc<T>(text: string, what: string, valid: (x: Record<string, unknown>) => boolean): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new StorageFault(`a stored ${what} record does not parse: the database may be damaged`, { cause: e });
  }
  if (parsed === null || typeof parsed !== 'object' || !valid(parsed as Record<string, unknown>)) {
    throw new StorageFault(`a stored ${what} record lacks its required fields: the database may be damaged`);
  }
  return parsed as T;
}
/** The fields every Coffer version has written (data folders of older versions must still read). */
const isKeyDoc = (d: Record<string, unknown>): boolean =>
  typeof d.arn === 'string' && typeof d.keyId === 'string' && typeof d.state === 'string' && typeof d.policy === 'string' && typeof d.keySpec === 'string';
const isGrantDoc = (d: Record<string, unknown>): boolean =>
  typeof d.grantId === 'string' && typeof d.keyArn === 'string' && typeof d.granteePrincipal === 'string' && Array.isArray(d.operations);

const toMaterial = (r: MaterialRow): MaterialRecord => ({
  keyArn: r.key_arn, materialId: r.material_id, domainKeyId: r.domain_key_id, wrapped: r.wrapped, createdAt: r.created_at,
  ...(r.rotation_type === 'AUTOMATIC' || r.rotation_type === 'ON_DEMAND' ? { rotationType: r.rotation_type } : {}),
});
const toAlias = (r: AliasRow): AliasRecord => ({
  accountId: r.account_id, region: r.region, name: r.name, targetKeyArn: r.target_key_arn,
  creationDate: r.created_at, lastUpdatedDate: r.updated_at,
});

/** The owner lock of each open database (see takeOwnerLock), released by closeDatabase. */
const ownerLocks = new WeakMap<Database.Database, Database.Database>();

/**
 * One process owns a data folder: the in-memory caches are only coherent with one writer. The
 * claim is an exclusive lock on a small companion database (`<file>-lock`), held while the
 * database is open; the database itself stays in normal locking mode, so a helper thread of the
 * same process (the background checkpointer) can open it too.
 */
function takeOwnerLock(file: string): Database.Database {
  const lock = new Database(`${file}-lock`);
  try {
    lock.pragma('busy_timeout = 2000');
    lock.pragma('locking_mode = EXCLUSIVE');
    // In EXCLUSIVE locking mode the lock a write transaction takes is kept until close.
    lock.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER NOT NULL)');
    lock.transaction(() => {
      lock.exec('DELETE FROM owner');
      lock.prepare('INSERT INTO owner (pid) VALUES (?)').run(process.pid);
    }).exclusive();
  } catch (e) {
    lock.close();
    if (e instanceof Error && /locked|busy/i.test(e.message)) {
      throw new Error(`${file} is in use by another Coffer process (one process per data folder)`);
    }
    throw e;
  }
  return lock;
}

export type IntegrityCheck = 'quick' | 'full' | 'off';

export interface OpenOptions {
  /** SQLite's quick_check (pages and records well formed), integrity_check (also every index against its table), or none. */
  readonly integrityCheck?: IntegrityCheck;
  /** Told what the write-ahead log shows before SQLite recovers it (changes it will drop). */
  readonly onWarning?: (message: string) => void;
}

/** Thrown when the database is damaged: the message says what SQLite found and what to do. */
export class DamagedDatabaseError extends Error {
  override readonly name = 'DamagedDatabaseError';
}

/** Runs the chosen check; a damaged database is refused with what SQLite found (its first problems). */
function checkIntegrity(db: Database.Database, file: string, check: IntegrityCheck): void {
  if (check === 'off') return;
  let found: string[];
  try {
    found = db.prepare<[], string>(check === 'full' ? 'PRAGMA integrity_check(20)' : 'PRAGMA quick_check(20)').pluck().all();
  } catch (e) {
    found = [e instanceof Error ? e.message : String(e)];
  }
  if (found.length === 1 && found[0] === 'ok') return;
  const what = found.slice(0, 5).map((f) => f.replace(/\s+/g, ' ').trim()).join('; ');
  throw new DamagedDatabaseError(`${file} is damaged (SQLite ${check === 'full' ? 'integrity_check' : 'quick_check'}: ${what}). `
    + 'Coffer will not serve from it: restore the data folder from a backup (the seal is kept apart from it), or copy what SQLite can still read with its .recover command and compare.');
}

/**
 * Opens the data folder's database with Coffer's durability settings (WAL, synchronous=FULL),
 * after taking the data folder's owner lock and, before SQLite sees it, reading the write-ahead
 * log for changes a recovery would drop (sqlite-wal-check.ts); then runs the integrity check.
 * The repositories of each port are built on the handle this returns; closeDatabase closes it
 * and releases the lock.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  const lock = takeOwnerLock(file);
  let db: Database.Database | undefined;
  try {
    const wal = checkWal(file);
    for (const problem of wal?.problems ?? []) {
      options.onWarning?.(`${problem}; SQLite recovers the ${wal?.committedFrames ?? 0} committed frame(s) before it, so changes acknowledged after them may be lost`);
    }
    db = new Database(file);
    db.pragma('busy_timeout = 2000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    checkIntegrity(db, file, options.integrityCheck ?? 'quick');
    db.exec(SCHEMA);
    migrate(db);
  } catch (e) {
    db?.close();
    lock.close();
    if (e instanceof DamagedDatabaseError || !isStorageFault(e)) throw e;
    throw new DamagedDatabaseError(`${file} cannot be opened (${describeFault(e)}). Restore the data folder from a backup.`, { cause: e });
  }
  ownerLocks.set(db, lock);
  return db;
}

/**
 * A small durable write (a few pages in, then out, of a scratch table): what /health probes with
 * while storage writes fail, to notice when they work again.
 */
export function probeWrite(db: Database.Database): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS write_probe (b BLOB)');
    db.prepare('INSERT INTO write_probe VALUES (randomblob(16384))').run();
    db.exec('DELETE FROM write_probe');
  }).immediate();
}

/**
 * Test mode only: caps the database at `maxPageCount` pages (null: no cap) so that writes fail
 * with SQLITE_FULL as on a full disk; returns the page count and the cap in force.
 */
export function limitPages(db: Database.Database, maxPageCount: number | null): { pageCount: number; maxPageCount: number } {
  const pageCount = Number(db.pragma('page_count', { simple: true }));
  db.pragma(`max_page_count = ${maxPageCount === null ? 4_294_967_294 : Math.max(1, Math.trunc(maxPageCount))}`);
  return { pageCount, maxPageCount: Number(db.pragma('max_page_count', { simple: true })) };
}

/** Closes the database (the last connection checkpoints the WAL and removes it), then releases the owner lock. */
export function closeDatabase(db: Database.Database): void {
  if (db.open) db.close();
  ownerLocks.get(db)?.close();
  ownerLocks.delete(db);
}

/** Brings a data folder made by an older Coffer up to this schema (idempotent). */
function migrate(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('keys')").all();
  if (!columns.some((c) => c.name === 'material_expiry')) db.exec('ALTER TABLE keys ADD COLUMN material_expiry INTEGER');
  db.exec('CREATE INDEX IF NOT EXISTS keys_by_material_expiry ON keys (material_expiry) WHERE material_expiry IS NOT NULL');
}

export function createSqliteKeyRepository(db: Database.Database): KeyRepository {
  const q = {
    getKey: db.prepare<[string], KeyRow>('SELECT doc FROM keys WHERE arn = ?'),
    findKeyArn: db.prepare<[string, string], { arn: string }>('SELECT arn FROM keys WHERE key_id = ? AND region = ? LIMIT 1'),
    putKey: db.prepare('INSERT INTO keys (arn, key_id, account_id, region, doc, deletion_date, next_rotation, material_expiry) VALUES (@arn, @keyId, @account, @region, @doc, @del, @rot, @exp) ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc, deletion_date = excluded.deletion_date, next_rotation = excluded.next_rotation, material_expiry = excluded.material_expiry'),
    deleteKey: db.prepare('DELETE FROM keys WHERE arn = ?'),
    listKeys: db.prepare<[string, string, string, number], KeyRow>('SELECT doc FROM keys WHERE account_id = ? AND region = ? AND arn > ? ORDER BY arn LIMIT ?'),
    dueDeletion: db.prepare<[number], { arn: string }>('SELECT arn FROM keys WHERE deletion_date IS NOT NULL AND deletion_date <= ? ORDER BY deletion_date'),
    dueRotation: db.prepare<[number], { arn: string }>('SELECT arn FROM keys WHERE next_rotation IS NOT NULL AND next_rotation <= ? ORDER BY next_rotation'),
    dueExpiry: db.prepare<[number], { arn: string }>('SELECT arn FROM keys WHERE material_expiry IS NOT NULL AND material_expiry <= ? ORDER BY material_expiry'),
    withKeyId: db.prepare<[string, string], KeyRow>('SELECT doc FROM keys WHERE key_id = ? AND account_id = ? ORDER BY rowid'),
    getMaterials: db.prepare<[string], MaterialRow>('SELECT * FROM key_materials WHERE key_arn = ? ORDER BY created_at, rowid'),
    putMaterial: db.prepare('INSERT INTO key_materials (key_arn, material_id, domain_key_id, wrapped, created_at, rotation_type) VALUES (?, ?, ?, ?, ?, ?)'),
    deleteMaterial: db.prepare('DELETE FROM key_materials WHERE key_arn = ? AND material_id = ?'),
    getAlias: db.prepare<[string, string, string], AliasRow>('SELECT * FROM aliases WHERE account_id = ? AND region = ? AND name = ?'),
    putAlias: db.prepare('INSERT INTO aliases (account_id, region, name, target_key_arn, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(account_id, region, name) DO UPDATE SET target_key_arn = excluded.target_key_arn, updated_at = excluded.updated_at'),
    deleteAlias: db.prepare('DELETE FROM aliases WHERE account_id = ? AND region = ? AND name = ?'),
    listAliases: db.prepare<[string, string, string, number], AliasRow>('SELECT * FROM aliases WHERE account_id = ? AND region = ? AND name > ? ORDER BY name LIMIT ?'),
    listAliasesFor: db.prepare<[string, string, string, string, number], AliasRow>('SELECT * FROM aliases WHERE account_id = ? AND region = ? AND target_key_arn = ? AND name > ? ORDER BY name LIMIT ?'),
    countAliases: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM aliases WHERE target_key_arn = ?'),
    getGrant: db.prepare<[string], { doc: string }>('SELECT doc FROM grants WHERE grant_id = ?'),
    putGrant: db.prepare('INSERT INTO grants (grant_id, key_arn, retiring_principal, doc) VALUES (?, ?, ?, ?) ON CONFLICT(grant_id) DO UPDATE SET doc = excluded.doc'),
    deleteGrant: db.prepare('DELETE FROM grants WHERE grant_id = ?'),
    listGrants: db.prepare<[string, string, number], { doc: string }>('SELECT doc FROM grants WHERE key_arn = ? AND grant_id > ? ORDER BY grant_id LIMIT ?'),
    listRetirable: db.prepare<[string, string, number], { doc: string }>('SELECT doc FROM grants WHERE retiring_principal = ? AND grant_id > ? ORDER BY grant_id LIMIT ?'),
    countGrants: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM grants WHERE key_arn = ?'),
    getDomainKeys: db.prepare<[], { id: string; wrapped: Buffer; created_at: number }>('SELECT * FROM domain_keys ORDER BY created_at'),
    putDomainKey: db.prepare('INSERT INTO domain_keys (id, wrapped, created_at) VALUES (?, ?, ?)'),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?'),
    setMeta: db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
    getUsage: db.prepare<[string], { key_arn: string; operation: string; ts: number; request_id: string }>('SELECT * FROM key_usage WHERE key_arn = ?'),
    putUsage: db.prepare('INSERT INTO key_usage (key_arn, operation, ts, request_id) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM keys WHERE arn = ?) ON CONFLICT(key_arn) DO UPDATE SET operation = excluded.operation, ts = excluded.ts, request_id = excluded.request_id WHERE excluded.ts >= key_usage.ts'),
  };

  const parseKey = (row: KeyRow | undefined): KeyRecord | undefined => (row ? readDoc<KeyRecord>(row.doc, 'key', isKeyDoc) : undefined);
  const parseGrant = (doc: string): GrantRecord => readDoc<GrantRecord>(doc, 'grant', isGrantDoc);

  return {
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    getKey: (arn) => {
      const k = parseKey(q.getKey.get(arn));
      if (k !== undefined && k.arn !== arn) throw new StorageFault('a stored key record names another key than its row: the database may be damaged');
      return k;
    },
    putKey: (k) => {
      q.putKey.run({
        arn: k.arn, keyId: k.keyId, account: k.accountId, region: k.region, doc: JSON.stringify(k),
        del: k.state === 'PendingDeletion' ? (k.deletionDate ?? null) : null,
        // A replica rotates with its primary, never on its own.
        rot: k.rotation.enabled && k.state === 'Enabled' && k.multiRegionKeyType !== 'REPLICA' ? (k.rotation.nextRotationDate ?? null) : null,
        exp: nextMaterialExpiry(k) ?? null,
      });
    },
    findKeyArn: (keyId, region) => q.findKeyArn.get(keyId, region)?.arn,
    deleteKey: (arn) => { q.deleteKey.run(arn); },
    listKeys: (account, region, after, limit) => q.listKeys.all(account, region, after ?? '', limit).map((r) => parseKey(r) as KeyRecord),
    keysDueForDeletion: (now) => q.dueDeletion.all(now).map((r) => r.arn),
    keysDueForRotation: (now) => q.dueRotation.all(now).map((r) => r.arn),
    keysDueForMaterialExpiry: (now) => q.dueExpiry.all(now).map((r) => r.arn),
    keysWithKeyId: (account, keyId) => q.withKeyId.all(keyId, account).map((r) => parseKey(r) as KeyRecord),
    getMaterials: (arn) => q.getMaterials.all(arn).map(toMaterial),
    putMaterial: (m) => { q.putMaterial.run(m.keyArn, m.materialId, m.domainKeyId, m.wrapped, m.createdAt, m.rotationType ?? null); },
    deleteMaterial: (arn, id) => { q.deleteMaterial.run(arn, id); },
    getAlias: (a, r, n) => { const row = q.getAlias.get(a, r, n); return row ? toAlias(row) : undefined; },
    putAlias: (x) => { q.putAlias.run(x.accountId, x.region, x.name, x.targetKeyArn, x.creationDate, x.lastUpdatedDate); },
    deleteAlias: (a, r, n) => { q.deleteAlias.run(a, r, n); },
    listAliases: (a, r, target, after, limit) =>
      (target === undefined ? q.listAliases.all(a, r, after ?? '', limit) : q.listAliasesFor.all(a, r, target, after ?? '', limit)).map(toAlias),
    countAliases: (arn) => q.countAliases.get(arn)?.n ?? 0,
    getGrant: (id) => { const r = q.getGrant.get(id); return r ? parseGrant(r.doc) : undefined; },
    putGrant: (g) => { q.putGrant.run(g.grantId, g.keyArn, g.retiringPrincipal ?? null, JSON.stringify(g)); },
    deleteGrant: (id) => { q.deleteGrant.run(id); },
    listGrants: (arn, after, limit) => q.listGrants.all(arn, after ?? '', limit).map((r) => parseGrant(r.doc)),
    listRetirableGrants: (p, after, limit) => q.listRetirable.all(p, after ?? '', limit).map((r) => parseGrant(r.doc)),
    countGrants: (arn) => q.countGrants.get(arn)?.n ?? 0,
    getDomainKeys: (): DomainKeyRecord[] => q.getDomainKeys.all().map((r) => ({ id: r.id, wrapped: r.wrapped, createdAt: r.created_at })),
    putDomainKey: (d) => { q.putDomainKey.run(d.id, d.wrapped, d.createdAt); },
    getMeta: (name) => q.getMeta.get(name)?.value,
    setMeta: (name, value) => { q.setMeta.run(name, value); },
    getUsage: (arn): KeyUsageRecord | undefined => {
      const r = q.getUsage.get(arn);
      return r ? { keyArn: r.key_arn, operation: r.operation, timestamp: r.ts, requestId: r.request_id } : undefined;
    },
    putUsage: (records) => {
      db.transaction(() => { for (const u of records) q.putUsage.run(u.keyArn, u.operation, u.timestamp, u.requestId, u.keyArn); })();
    },
    close: () => { closeDatabase(db); },
  };
}
