/**
 * KMS keys in the data folder's SQLite database: one JSON document per key plus the columns the
 * scheduler queries, wrapped key materials, aliases, grants, last usage and the key store's domain
 * keys. Reads are the KeyRepository port; writes are KeyChanges, applied by sqlite-storage.ts in
 * the transaction of the call that made them.
 */
import type Database from 'better-sqlite3';
import { nextMaterialExpiry, type KeyRecord, type MaterialRecord } from '../../domain/key.ts';
import type { GrantRecord } from '../../domain/grant.ts';
import type { AliasRecord, DomainKeyRecord, KeyRepository, KeyUsageRecord } from '../../ports/key-repository.ts';
import type { KeyChange } from '../../ports/changes.ts';
import { StorageFault } from '../../errors/storage-fault.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { insertOrConflict } from './sqlite-conflict.ts';
import { parseGrantDoc, parseKeyDoc, toAlias, toMaterial, type AliasRow, type DocRow, type MaterialRow } from './key-rows.ts';

export const KEYS_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS domain_keys (id TEXT PRIMARY KEY, wrapped BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
  arn TEXT PRIMARY KEY, key_id TEXT NOT NULL, account_id TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL,
  deletion_date INTEGER, next_rotation INTEGER, material_expiry INTEGER, revision INTEGER NOT NULL DEFAULT 0);
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


/** Brings a data folder made by an older Coffer up to this schema (idempotent). */
export function migrateKeys(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('keys')").all();
  if (!columns.some((c) => c.name === 'material_expiry')) db.exec('ALTER TABLE keys ADD COLUMN material_expiry INTEGER');
  // The record's revision (KeyRecord.revision), what conditional writes compare; 0 for records written before it.
  if (!columns.some((c) => c.name === 'revision')) db.exec('ALTER TABLE keys ADD COLUMN revision INTEGER NOT NULL DEFAULT 0');
  db.exec('CREATE INDEX IF NOT EXISTS keys_by_material_expiry ON keys (material_expiry) WHERE material_expiry IS NOT NULL');
}

type KeyRow = DocRow;

const parseKey = (row: KeyRow | undefined): KeyRecord | undefined => (row ? parseKeyDoc(row.doc) : undefined);
const parseGrant = parseGrantDoc;

/** The KeyRepository port's reads (SQLite answers at once; the promises keep the port's shape). */
export function createSqliteKeyRepository(db: Database.Database): KeyRepository {
  const q = {
    getKey: db.prepare<[string], KeyRow>('SELECT doc FROM keys WHERE arn = ?'),
    findKeyArn: db.prepare<[string, string], { arn: string }>('SELECT arn FROM keys WHERE key_id = ? AND region = ? LIMIT 1'),
    listKeys: db.prepare<[string, string, string, number], KeyRow>('SELECT doc FROM keys WHERE account_id = ? AND region = ? AND arn > ? ORDER BY arn LIMIT ?'),
    dueDeletion: db.prepare<[number], { arn: string }>('SELECT arn FROM keys WHERE deletion_date IS NOT NULL AND deletion_date <= ? ORDER BY deletion_date'),
    dueRotation: db.prepare<[number], { arn: string }>('SELECT arn FROM keys WHERE next_rotation IS NOT NULL AND next_rotation <= ? ORDER BY next_rotation'),
    dueExpiry: db.prepare<[number], { arn: string }>('SELECT arn FROM keys WHERE material_expiry IS NOT NULL AND material_expiry <= ? ORDER BY material_expiry'),
    withKeyId: db.prepare<[string, string], KeyRow>('SELECT doc FROM keys WHERE key_id = ? AND account_id = ? ORDER BY rowid'),
    getMaterials: db.prepare<[string], MaterialRow>('SELECT * FROM key_materials WHERE key_arn = ? ORDER BY created_at, rowid'),
    getAlias: db.prepare<[string, string, string], AliasRow>('SELECT * FROM aliases WHERE account_id = ? AND region = ? AND name = ?'),
    listAliases: db.prepare<[string, string, string, number], AliasRow>('SELECT * FROM aliases WHERE account_id = ? AND region = ? AND name > ? ORDER BY name LIMIT ?'),
    listAliasesFor: db.prepare<[string, string, string, string, number], AliasRow>('SELECT * FROM aliases WHERE account_id = ? AND region = ? AND target_key_arn = ? AND name > ? ORDER BY name LIMIT ?'),
    countAliases: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM aliases WHERE target_key_arn = ?'),
    getGrant: db.prepare<[string], { doc: string }>('SELECT doc FROM grants WHERE grant_id = ?'),
    listGrants: db.prepare<[string, string, number], { doc: string }>('SELECT doc FROM grants WHERE key_arn = ? AND grant_id > ? ORDER BY grant_id LIMIT ?'),
    listRetirable: db.prepare<[string, string, number], { doc: string }>('SELECT doc FROM grants WHERE retiring_principal = ? AND grant_id > ? ORDER BY grant_id LIMIT ?'),
    countGrants: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM grants WHERE key_arn = ?'),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?'),
    getUsage: db.prepare<[string], { key_arn: string; operation: string; ts: number; request_id: string }>('SELECT * FROM key_usage WHERE key_arn = ?'),
  };
  return {
    getKey: async (arn) => {
      const k = parseKey(q.getKey.get(arn));
      if (k !== undefined && k.arn !== arn) throw new StorageFault('a stored key record names another key than its row: the database may be damaged');
      return k;
    },
    findKeyArn: async (keyId, region) => q.findKeyArn.get(keyId, region)?.arn,
    listKeys: async (account, region, after, limit) => q.listKeys.all(account, region, after ?? '', limit).map((r) => parseKey(r) as KeyRecord),
    keysDueForDeletion: async (now) => q.dueDeletion.all(now).map((r) => r.arn),
    keysDueForRotation: async (now) => q.dueRotation.all(now).map((r) => r.arn),
    keysDueForMaterialExpiry: async (now) => q.dueExpiry.all(now).map((r) => r.arn),
    keysWithKeyId: async (account, keyId) => q.withKeyId.all(keyId, account).map((r) => parseKey(r) as KeyRecord),
    getMaterials: async (arn) => q.getMaterials.all(arn).map(toMaterial),
    getAlias: async (a, r, n) => { const row = q.getAlias.get(a, r, n); return row ? toAlias(row) : undefined; },
    listAliases: async (a, r, target, after, limit) =>
      (target === undefined ? q.listAliases.all(a, r, after ?? '', limit) : q.listAliasesFor.all(a, r, target, after ?? '', limit)).map(toAlias),
    countAliases: async (arn) => q.countAliases.get(arn)?.n ?? 0,
    getGrant: async (id) => { const r = q.getGrant.get(id); return r ? parseGrant(r.doc) : undefined; },
    listGrants: async (arn, after, limit) => q.listGrants.all(arn, after ?? '', limit).map((r) => parseGrant(r.doc)),
    listRetirableGrants: async (p, after, limit) => q.listRetirable.all(p, after ?? '', limit).map((r) => parseGrant(r.doc)),
    countGrants: async (arn) => q.countGrants.get(arn)?.n ?? 0,
    getMeta: async (name) => q.getMeta.get(name)?.value,
    getUsage: async (arn): Promise<KeyUsageRecord | undefined> => {
      const r = q.getUsage.get(arn);
      return r ? { keyArn: r.key_arn, operation: r.operation, timestamp: r.ts, requestId: r.request_id } : undefined;
    },
  };
}

/** Applies one KeyChange; called by sqlite-storage.ts inside the commit's transaction. */
export function keyChangeApplier(db: Database.Database): (c: KeyChange) => void {
  const q = {
    putKey: db.prepare('INSERT INTO keys (arn, key_id, account_id, region, doc, deletion_date, next_rotation, material_expiry, revision) VALUES (@arn, @keyId, @account, @region, @doc, @del, @rot, @exp, @rev) ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc, deletion_date = excluded.deletion_date, next_rotation = excluded.next_rotation, material_expiry = excluded.material_expiry, revision = excluded.revision'),
    insertKey: db.prepare('INSERT INTO keys (arn, key_id, account_id, region, doc, deletion_date, next_rotation, material_expiry, revision) VALUES (@arn, @keyId, @account, @region, @doc, @del, @rot, @exp, @rev)'),
    updateKey: db.prepare('UPDATE keys SET doc = @doc, deletion_date = @del, next_rotation = @rot, material_expiry = @exp, revision = @rev WHERE arn = @arn AND revision = @expect'),
    insertAlias: db.prepare('INSERT INTO aliases (account_id, region, name, target_key_arn, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)'),
    updateAlias: db.prepare('UPDATE aliases SET target_key_arn = ?, updated_at = ? WHERE account_id = ? AND region = ? AND name = ?'),
    deleteKey: db.prepare('DELETE FROM keys WHERE arn = ?'),
    putMaterial: db.prepare('INSERT INTO key_materials (key_arn, material_id, domain_key_id, wrapped, created_at, rotation_type) VALUES (?, ?, ?, ?, ?, ?)'),
    deleteMaterial: db.prepare('DELETE FROM key_materials WHERE key_arn = ? AND material_id = ?'),
    putAlias: db.prepare('INSERT INTO aliases (account_id, region, name, target_key_arn, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(account_id, region, name) DO UPDATE SET target_key_arn = excluded.target_key_arn, updated_at = excluded.updated_at'),
    deleteAlias: db.prepare('DELETE FROM aliases WHERE account_id = ? AND region = ? AND name = ?'),
    putGrant: db.prepare('INSERT INTO grants (grant_id, key_arn, retiring_principal, doc) VALUES (?, ?, ?, ?) ON CONFLICT(grant_id) DO UPDATE SET doc = excluded.doc'),
    deleteGrant: db.prepare('DELETE FROM grants WHERE grant_id = ?'),
    setMeta: db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
    putUsage: db.prepare('INSERT INTO key_usage (key_arn, operation, ts, request_id) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM keys WHERE arn = ?) ON CONFLICT(key_arn) DO UPDATE SET operation = excluded.operation, ts = excluded.ts, request_id = excluded.request_id WHERE excluded.ts >= key_usage.ts'),
  };
  return (c) => {
    switch (c.kind) {
      case 'putKey': {
        const k = c.key;
        const row = {
          arn: k.arn, keyId: k.keyId, account: k.accountId, region: k.region, doc: JSON.stringify(k),
          del: k.state === 'PendingDeletion' ? (k.deletionDate ?? null) : null,
          // A replica rotates with its primary, never on its own.
          rot: k.rotation.enabled && k.state === 'Enabled' && k.multiRegionKeyType !== 'REPLICA' ? (k.rotation.nextRotationDate ?? null) : null,
          exp: nextMaterialExpiry(k) ?? null,
          rev: k.revision ?? 0,
        };
        if (c.expectRevision === undefined) q.putKey.run(row);
        else if (c.expectRevision === 0) insertOrConflict(() => q.insertKey.run(row), `key ${k.arn} exists already`);
        else if (q.updateKey.run({ ...row, expect: c.expectRevision }).changes === 0) {
          throw new StorageConflict(`key ${k.arn} is no longer at revision ${c.expectRevision}`);
        }
        return;
      }
      case 'deleteKey': q.deleteKey.run(c.arn); return;
      case 'putMaterial': {
        const m = c.material;
        q.putMaterial.run(m.keyArn, m.materialId, m.domainKeyId, m.wrapped, m.createdAt, m.rotationType ?? null);
        return;
      }
      case 'deleteMaterial': q.deleteMaterial.run(c.keyArn, c.materialId); return;
      case 'putAlias': {
        const a = c.alias;
        if (c.expect === 'absent') {
          insertOrConflict(() => q.insertAlias.run(a.accountId, a.region, a.name, a.targetKeyArn, a.creationDate, a.lastUpdatedDate), `alias ${a.name} exists already`);
        } else if (c.expect === 'present') {
          if (q.updateAlias.run(a.targetKeyArn, a.lastUpdatedDate, a.accountId, a.region, a.name).changes === 0) throw new StorageConflict(`alias ${a.name} no longer exists`);
        } else {
          q.putAlias.run(a.accountId, a.region, a.name, a.targetKeyArn, a.creationDate, a.lastUpdatedDate);
        }
        return;
      }
      case 'deleteAlias': q.deleteAlias.run(c.accountId, c.region, c.name); return;
      case 'putGrant': q.putGrant.run(c.grant.grantId, c.grant.keyArn, c.grant.retiringPrincipal ?? null, JSON.stringify(c.grant)); return;
      case 'deleteGrant': q.deleteGrant.run(c.grant.grantId); return;
      case 'setMeta': q.setMeta.run(c.name, c.value); return;
      case 'putUsage':
        for (const u of c.records) q.putUsage.run(u.keyArn, u.operation, u.timestamp, u.requestId, u.keyArn);
        return;
    }
  };
}

/** The software key store's domain keys (read and added at start-up, before any request). */
export function sqliteDomainKeys(db: Database.Database): { all(): DomainKeyRecord[]; add(k: DomainKeyRecord): void; replace(k: DomainKeyRecord): void } {
  const list = db.prepare<[], { id: string; wrapped: Buffer; created_at: number }>('SELECT * FROM domain_keys ORDER BY created_at');
  const put = db.prepare('INSERT INTO domain_keys (id, wrapped, created_at) VALUES (?, ?, ?)');
  const rewrap = db.prepare('UPDATE domain_keys SET wrapped = ? WHERE id = ?');
  return {
    all: () => list.all().map((r) => ({ id: r.id, wrapped: r.wrapped, createdAt: r.created_at })),
    add: (k) => { db.transaction(() => put.run(k.id, k.wrapped, k.createdAt)).immediate(); },
    replace: (k) => {
      db.transaction(() => {
        if (rewrap.run(k.wrapped, k.id).changes !== 1) throw new Error(`no domain key ${k.id} to rewrap`);
      }).immediate();
    },
  };
}

/**
 * The key tables' rows as a copy to another backend enumerates them (`migrate-storage`, on a
 * stopped server): every key's ARN in the order keys were first stored, and every alias, grant,
 * usage and meta row. Records are read whole; what they hold is wrapped already.
 */
export function sqliteKeyTables(db: Database.Database): {
  arns(): string[]; aliases(): AliasRecord[]; grants(): GrantRecord[]; usage(): KeyUsageRecord[]; meta(): { name: string; value: string }[];
} {
  return {
    arns: () => db.prepare<[], { arn: string }>('SELECT arn FROM keys ORDER BY rowid').all().map((r) => r.arn),
    aliases: () => db.prepare<[], AliasRow>('SELECT * FROM aliases ORDER BY account_id, region, name').all().map(toAlias),
    grants: () => db.prepare<[], { doc: string }>('SELECT doc FROM grants ORDER BY rowid').all().map((r) => parseGrant(r.doc)),
    usage: () => db.prepare<[], { key_arn: string; operation: string; ts: number; request_id: string }>('SELECT * FROM key_usage ORDER BY key_arn').all()
      .map((r) => ({ keyArn: r.key_arn, operation: r.operation, timestamp: r.ts, requestId: r.request_id })),
    meta: () => db.prepare<[], { name: string; value: string }>('SELECT name, value FROM meta ORDER BY name').all(),
  };
}
