/**
 * The KeyRepository in memory, with the SQLite adapter's semantics (sqlite-keys.ts): lists in the
 * same order, the scheduler's due lists from the same fields, a key's materials, aliases, grants
 * and usage refused for a key that does not exist and removed with it. Records are stored as
 * copies of what was committed (documents through JSON, as SQLite keeps them) and blobs are copied
 * again as they are read, so no caller shares storage's bytes.
 */
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { nextMaterialExpiry, type KeyRecord, type MaterialRecord } from '../../domain/key.ts';
import type { KeyChange } from '../../ports/changes.ts';
import type { AliasRecord, KeyRepository } from '../../ports/key-repository.ts';
import { compareBinary, ConstraintError, doc, type Draft, type Tables } from './memory-tables.ts';

const aliasId = (accountId: string, region: string, name: string): string => `${accountId}\n${region}\n${name}`;
const copyMaterial = (m: MaterialRecord): MaterialRecord => ({ ...m, wrapped: Buffer.from(m.wrapped) });

/** The scheduler's dates of a key, as sqlite-keys.ts derives its columns. */
const deletionDate = (k: KeyRecord): number | undefined => (k.state === 'PendingDeletion' ? k.deletionDate : undefined);
// A replica rotates with its primary, never on its own.
const rotationDate = (k: KeyRecord): number | undefined =>
  (k.rotation.enabled && k.state === 'Enabled' && k.multiRegionKeyType !== 'REPLICA' ? k.rotation.nextRotationDate : undefined);

/** The ARNs of keys whose date has come, by date (ties in insertion order). */
function due(t: Tables, now: number, dateOf: (k: KeyRecord) => number | undefined): string[] {
  const found: { arn: string; at: number }[] = [];
  for (const k of t.keys.values()) {
    const at = dateOf(k);
    if (at !== undefined && at <= now) found.push({ arn: k.arn, at });
  }
  return found.sort((a, b) => a.at - b.at).map((x) => x.arn);
}

/** Strictly after `after` (none: from the start), in binary order, at most `limit`. */
function page<T>(items: Iterable<T>, idOf: (x: T) => string, after: string | undefined, limit: number): T[] {
  return [...items]
    .filter((x) => after === undefined || compareBinary(idOf(x), after) > 0)
    .sort((a, b) => compareBinary(idOf(a), idOf(b)))
    .slice(0, Math.max(0, limit));
}

export function memoryKeyRepository(tables: () => Tables): KeyRepository {
  return {
    getKey: async (arn) => tables().keys.get(arn),
    findKeyArn: async (keyId, region) => {
      for (const k of tables().keys.values()) if (k.keyId === keyId && k.region === region) return k.arn;
      return undefined;
    },
    listKeys: async (accountId, region, afterArn, limit) =>
      page([...tables().keys.values()].filter((k) => k.accountId === accountId && k.region === region), (k) => k.arn, afterArn, limit),
    keysDueForDeletion: async (now) => due(tables(), now, deletionDate),
    keysDueForRotation: async (now) => due(tables(), now, rotationDate),
    keysDueForMaterialExpiry: async (now) => due(tables(), now, nextMaterialExpiry),
    keysWithKeyId: async (accountId, keyId) => [...tables().keys.values()].filter((k) => k.keyId === keyId && k.accountId === accountId),
    getMaterials: async (keyArn) => [...(tables().materials.get(keyArn) ?? [])].sort((a, b) => a.createdAt - b.createdAt).map(copyMaterial),
    getAlias: async (accountId, region, name) => tables().aliases.get(aliasId(accountId, region, name)),
    listAliases: async (accountId, region, target, afterName, limit) => page(
      [...tables().aliases.values()].filter((a) => a.accountId === accountId && a.region === region && (target === undefined || a.targetKeyArn === target)),
      (a) => a.name, afterName, limit,
    ),
    countAliases: async (arn) => [...tables().aliases.values()].filter((a) => a.targetKeyArn === arn).length,
    getGrant: async (id) => tables().grants.get(id),
    listGrants: async (keyArn, afterId, limit) => page([...tables().grants.values()].filter((g) => g.keyArn === keyArn), (g) => g.grantId, afterId, limit),
    listRetirableGrants: async (principal, afterId, limit) =>
      page([...tables().grants.values()].filter((g) => g.retiringPrincipal === principal), (g) => g.grantId, afterId, limit),
    countGrants: async (arn) => [...tables().grants.values()].filter((g) => g.keyArn === arn).length,
    getMeta: async (name) => tables().meta.get(name),
    getUsage: async (arn) => tables().usage.get(arn),
  };
}

/** A key's dependants refer to it: what SQLite's foreign keys refuse. */
function requireKey(d: Draft, arn: string, what: string): void {
  if (!d.read.keys.has(arn)) throw new ConstraintError(`${what} refers to key ${arn}, which does not exist`);
}

/** Applies one KeyChange to a commit's draft (sqlite-keys.ts's keyChangeApplier, in memory). */
export function applyKeyChange(d: Draft, c: KeyChange): void {
  switch (c.kind) {
    case 'putKey': {
      // Conditional writes as SQLite's: 0 = must not exist, n = stored revision must be n.
      if (c.expectRevision !== undefined) {
        const stored = d.read.keys.get(c.key.arn);
        if (c.expectRevision === 0 ? stored !== undefined : stored === undefined || (stored.revision ?? 0) !== c.expectRevision) {
          throw new StorageConflict(c.expectRevision === 0 ? `key ${c.key.arn} exists already` : `key ${c.key.arn} is no longer at revision ${c.expectRevision}`);
        }
      }
      d.write('keys').set(c.key.arn, doc(c.key));
      return;
    }
    case 'deleteKey': {
      if (!d.read.keys.has(c.arn)) return;
      d.write('keys').delete(c.arn);
      d.write('materials').delete(c.arn);
      d.write('usage').delete(c.arn);
      const aliases = d.write('aliases');
      for (const [id, a] of aliases) if (a.targetKeyArn === c.arn) aliases.delete(id);
      const grants = d.write('grants');
      for (const [id, g] of grants) if (g.keyArn === c.arn) grants.delete(id);
      return;
    }
    case 'putMaterial': {
      const m = c.material;
      requireKey(d, m.keyArn, 'a material');
      const list = d.read.materials.get(m.keyArn) ?? [];
      if (list.some((x) => x.materialId === m.materialId)) throw new ConstraintError(`key ${m.keyArn} already has material ${m.materialId}`);
      d.write('materials').set(m.keyArn, [...list, copyMaterial(m)]);
      return;
    }
    case 'deleteMaterial': {
      const list = d.read.materials.get(c.keyArn);
      if (list?.some((x) => x.materialId === c.materialId)) d.write('materials').set(c.keyArn, list.filter((x) => x.materialId !== c.materialId));
      return;
    }
    case 'putAlias': {
      const a = c.alias;
      requireKey(d, a.targetKeyArn, `alias ${a.name}`);
      const id = aliasId(a.accountId, a.region, a.name);
      const old = d.read.aliases.get(id);
      if (c.expect === 'absent' && old !== undefined) throw new StorageConflict(`alias ${a.name} exists already`);
      if (c.expect === 'present' && old === undefined) throw new StorageConflict(`alias ${a.name} no longer exists`);
      // As SQLite's upsert: a retargeted alias keeps its creation date.
      const stored: AliasRecord = old ? { ...old, targetKeyArn: a.targetKeyArn, lastUpdatedDate: a.lastUpdatedDate } : { ...a };
      d.write('aliases').set(id, stored);
      return;
    }
    case 'deleteAlias': d.write('aliases').delete(aliasId(c.accountId, c.region, c.name)); return;
    case 'putGrant':
      requireKey(d, c.grant.keyArn, `grant ${c.grant.grantId}`);
      d.write('grants').set(c.grant.grantId, doc(c.grant));
      return;
    case 'deleteGrant': d.write('grants').delete(c.grant.grantId); return;
    case 'setMeta': d.write('meta').set(c.name, c.value); return;
    case 'putUsage':
      // Only for keys that exist (a deleted key's usage is dropped); the newest record wins.
      for (const u of c.records) {
        const stored = d.read.usage.get(u.keyArn);
        if (d.read.keys.has(u.keyArn) && (stored === undefined || u.timestamp >= stored.timestamp)) d.write('usage').set(u.keyArn, { ...u });
      }
      return;
  }
}
