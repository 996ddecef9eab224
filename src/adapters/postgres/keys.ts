/**
 * KMS keys in PostgreSQL: one JSON document per key plus the columns the scheduler queries,
 * wrapped key materials, aliases, grants, last usage and the key store's domain keys (the tables
 * of schema.ts, as SQLite's in storage/sqlite-keys.ts). Reads are the KeyRepository port; writes
 * are KeyChanges, applied by storage.ts on the commit's connection inside its transaction.
 * Orders are those of SQLite: text in byte order ("C" collation), "oldest first" by an identity
 * column that an upsert keeps (SQLite's rowid).
 */
import { StorageConflict } from '../../errors/storage-conflict.ts';
import type pg from 'pg';
import { nextMaterialExpiry, type KeyRecord, type MaterialRecord } from '../../domain/key.ts';
import type { GrantRecord } from '../../domain/grant.ts';
import type { AliasRecord, DomainKeyRecord, KeyRepository, KeyUsageRecord } from '../../ports/key-repository.ts';
import type { KeyChange } from '../../ports/changes.ts';
import { StorageFault } from '../../errors/storage-fault.ts';
import { parseGrantDoc, parseKeyDoc, toAlias, toMaterial, type AliasRow, type DocRow, type MaterialRow } from '../storage/key-rows.ts';
import { rows, run, type Queryable } from './query.ts';

type Doc = DocRow;

const parseKey = (r: Doc): KeyRecord => parseKeyDoc(r.doc);
const parseGrant = (r: Doc): GrantRecord => parseGrantDoc(r.doc);
const arnsOf = async (p: Promise<{ arn: string }[]>): Promise<string[]> => (await p).map((r) => r.arn);
const countOf = async (p: Promise<{ n: number }[]>): Promise<number> => (await p)[0]?.n ?? 0;

/** The KeyRepository port's reads, each one statement on the pool. */
export function createPgKeyRepository(pool: pg.Pool): KeyRepository {
  return {
    getKey: async (arn) => {
      const r = (await rows<Doc>(pool, 'SELECT doc FROM keys WHERE arn = $1', [arn]))[0];
      const k = r ? parseKey(r) : undefined;
      if (k !== undefined && k.arn !== arn) throw new StorageFault('a stored key record names another key than its row: the database may be damaged');
      return k;
    },
    findKeyArn: async (keyId, region) => (await rows<{ arn: string }>(pool, 'SELECT arn FROM keys WHERE key_id = $1 AND region = $2 LIMIT 1', [keyId, region]))[0]?.arn,
    listKeys: async (account, region, after, limit) =>
      (await rows<Doc>(pool, 'SELECT doc FROM keys WHERE account_id = $1 AND region = $2 AND arn > $3 ORDER BY arn LIMIT $4', [account, region, after ?? '', limit])).map(parseKey),
    keysDueForDeletion: (now) => arnsOf(rows(pool, 'SELECT arn FROM keys WHERE deletion_date IS NOT NULL AND deletion_date <= $1 ORDER BY deletion_date, ord', [now])),
    keysDueForRotation: (now) => arnsOf(rows(pool, 'SELECT arn FROM keys WHERE next_rotation IS NOT NULL AND next_rotation <= $1 ORDER BY next_rotation, ord', [now])),
    keysDueForMaterialExpiry: (now) => arnsOf(rows(pool, 'SELECT arn FROM keys WHERE material_expiry IS NOT NULL AND material_expiry <= $1 ORDER BY material_expiry, ord', [now])),
    keysWithKeyId: async (account, keyId) => (await rows<Doc>(pool, 'SELECT doc FROM keys WHERE key_id = $1 AND account_id = $2 ORDER BY ord', [keyId, account])).map(parseKey),
    getMaterials: async (arn) => (await rows<MaterialRow>(pool, 'SELECT * FROM key_materials WHERE key_arn = $1 ORDER BY created_at, ord', [arn])).map(toMaterial),
    getAlias: async (a, r, n) => {
      const row = (await rows<AliasRow>(pool, 'SELECT * FROM aliases WHERE account_id = $1 AND region = $2 AND name = $3', [a, r, n]))[0];
      return row ? toAlias(row) : undefined;
    },
    listAliases: async (a, r, target, after, limit) => (target === undefined
      ? await rows<AliasRow>(pool, 'SELECT * FROM aliases WHERE account_id = $1 AND region = $2 AND name > $3 ORDER BY name LIMIT $4', [a, r, after ?? '', limit])
      : await rows<AliasRow>(pool, 'SELECT * FROM aliases WHERE account_id = $1 AND region = $2 AND target_key_arn = $3 AND name > $4 ORDER BY name LIMIT $5', [a, r, target, after ?? '', limit])).map(toAlias),
    countAliases: (arn) => countOf(rows(pool, 'SELECT count(*) AS n FROM aliases WHERE target_key_arn = $1', [arn])),
    getGrant: async (id) => { const r = (await rows<Doc>(pool, 'SELECT doc FROM grants WHERE grant_id = $1', [id]))[0]; return r ? parseGrant(r) : undefined; },
    listGrants: async (arn, after, limit) =>
      (await rows<Doc>(pool, 'SELECT doc FROM grants WHERE key_arn = $1 AND grant_id > $2 ORDER BY grant_id LIMIT $3', [arn, after ?? '', limit])).map(parseGrant),
    listRetirableGrants: async (p, after, limit) =>
      (await rows<Doc>(pool, 'SELECT doc FROM grants WHERE retiring_principal = $1 AND grant_id > $2 ORDER BY grant_id LIMIT $3', [p, after ?? '', limit])).map(parseGrant),
    countGrants: (arn) => countOf(rows(pool, 'SELECT count(*) AS n FROM grants WHERE key_arn = $1', [arn])),
    getMeta: async (name) => (await rows<{ value: string }>(pool, 'SELECT value FROM meta WHERE name = $1', [name]))[0]?.value,
    getUsage: async (arn): Promise<KeyUsageRecord | undefined> => {
      const r = (await rows<{ key_arn: string; operation: string; ts: number; request_id: string }>(pool, 'SELECT * FROM key_usage WHERE key_arn = $1', [arn]))[0];
      return r ? { keyArn: r.key_arn, operation: r.operation, timestamp: r.ts, requestId: r.request_id } : undefined;
    },
  };
}

/** Applies one KeyChange on the commit's connection (storage.ts), inside its transaction. */
export async function applyKeyChange(db: Queryable, c: KeyChange): Promise<void> {
  switch (c.kind) {
    case 'putKey': {
      const k = c.key;
      const cells = [
        k.arn, k.keyId, k.accountId, k.region, JSON.stringify(k),
        k.state === 'PendingDeletion' ? (k.deletionDate ?? null) : null,
        // A replica rotates with its primary, never on its own.
        k.rotation.enabled && k.state === 'Enabled' && k.multiRegionKeyType !== 'REPLICA' ? (k.rotation.nextRotationDate ?? null) : null,
        nextMaterialExpiry(k) ?? null,
        k.revision ?? 0,
      ];
      const insert = 'INSERT INTO keys (arn, key_id, account_id, region, doc, deletion_date, next_rotation, material_expiry, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)';
      if (c.expectRevision === undefined) {
        await run(db, `${insert} ON CONFLICT (arn) DO UPDATE SET doc = excluded.doc, deletion_date = excluded.deletion_date,
          next_rotation = excluded.next_rotation, material_expiry = excluded.material_expiry, revision = excluded.revision`, cells);
      } else if (c.expectRevision === 0) {
        // A key that exists already (a replica made twice at once) is a unique violation: StorageConflict.
        await run(db, insert, cells);
      } else {
        const n = await run(db, `UPDATE keys SET doc = $5, deletion_date = $6, next_rotation = $7, material_expiry = $8, revision = $9
          WHERE arn = $1 AND revision = $10 AND key_id = $2 AND account_id = $3 AND region = $4`, [...cells, c.expectRevision]);
        if (n === 0) throw new StorageConflict(`key ${k.arn} is no longer at revision ${c.expectRevision}`);
      }
      return;
    }
    case 'deleteKey': await run(db, 'DELETE FROM keys WHERE arn = $1', [c.arn]); return;
    case 'putMaterial': {
      const m = c.material;
      await run(db, 'INSERT INTO key_materials (key_arn, material_id, domain_key_id, wrapped, created_at, rotation_type) VALUES ($1, $2, $3, $4, $5, $6)',
        [m.keyArn, m.materialId, m.domainKeyId, m.wrapped, m.createdAt, m.rotationType ?? null]);
      return;
    }
    case 'deleteMaterial': await run(db, 'DELETE FROM key_materials WHERE key_arn = $1 AND material_id = $2', [c.keyArn, c.materialId]); return;
    case 'putAlias': {
      const a = c.alias;
      const cells = [a.accountId, a.region, a.name, a.targetKeyArn, a.creationDate, a.lastUpdatedDate];
      const insert = 'INSERT INTO aliases (account_id, region, name, target_key_arn, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)';
      if (c.expect === 'absent') {
        await run(db, insert, cells);
      } else if (c.expect === 'present') {
        const n = await run(db, 'UPDATE aliases SET target_key_arn = $4, updated_at = $6 WHERE account_id = $1 AND region = $2 AND name = $3 AND $5::bigint IS NOT NULL', cells);
        if (n === 0) throw new StorageConflict(`alias ${a.name} no longer exists`);
      } else {
        await run(db, `${insert} ON CONFLICT (account_id, region, name) DO UPDATE SET target_key_arn = excluded.target_key_arn, updated_at = excluded.updated_at`, cells);
      }
      return;
    }
    case 'deleteAlias': await run(db, 'DELETE FROM aliases WHERE account_id = $1 AND region = $2 AND name = $3', [c.accountId, c.region, c.name]); return;
    case 'putGrant':
      await run(db, 'INSERT INTO grants (grant_id, key_arn, retiring_principal, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (grant_id) DO UPDATE SET doc = excluded.doc',
        [c.grant.grantId, c.grant.keyArn, c.grant.retiringPrincipal ?? null, JSON.stringify(c.grant)]);
      return;
    case 'deleteGrant': await run(db, 'DELETE FROM grants WHERE grant_id = $1', [c.grant.grantId]); return;
    case 'setMeta': await run(db, 'INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [c.name, c.value]); return;
    case 'putUsage':
      for (const u of c.records) {
        await run(db, `INSERT INTO key_usage (key_arn, operation, ts, request_id) SELECT $1::text, $2::text, $3::bigint, $4::text WHERE EXISTS (SELECT 1 FROM keys WHERE arn = $1::text)
          ON CONFLICT (key_arn) DO UPDATE SET operation = excluded.operation, ts = excluded.ts, request_id = excluded.request_id WHERE excluded.ts >= key_usage.ts`,
        [u.keyArn, u.operation, u.timestamp, u.requestId]);
      }
      return;
  }
}

/** The software key store's domain keys (read and added at start-up, before any request), oldest first. */
export function pgDomainKeys(pool: Queryable): { all(): Promise<DomainKeyRecord[]>; add(k: DomainKeyRecord): Promise<void>; replace(k: DomainKeyRecord): Promise<void> } {
  return {
    all: async () => (await rows<{ id: string; wrapped: Buffer; created_at: number }>(pool, 'SELECT id, wrapped, created_at FROM domain_keys ORDER BY created_at, id'))
      .map((r) => ({ id: r.id, wrapped: r.wrapped, createdAt: r.created_at })),
    add: async (k) => { await run(pool, 'INSERT INTO domain_keys (id, wrapped, created_at) VALUES ($1, $2, $3)', [k.id, k.wrapped, k.createdAt]); },
    replace: async (k) => {
      if (await run(pool, 'UPDATE domain_keys SET wrapped = $2 WHERE id = $1', [k.id, k.wrapped]) !== 1) throw new Error(`no domain key ${k.id} to rewrap`);
    },
  };
}
