/**
 * Multi-Region keys (reference §3.11). A set is every key of an account with one `mrk-` key id,
 * one per region: one PRIMARY and its REPLICAs. They share the key id, spec, usage, origin, the
 * key material (each replica holds its own wrapped copy, bound to its own ARN) and the rotation
 * settings; policy, grants, description, tags, aliases and state are each key's own. The set is
 * read from the repository (with the request's own changes), so every region sees the same one.
 */
import type { KeyMetadata, MultiRegionConfiguration } from '@aws-sdk/client-kms';
import { DAY_MS } from '../core/clock.ts';
import { keyArn } from '../core/arn.ts';
import { lacksMaterial, unimportedCopy } from '../domain/import-rules.ts';
import { keyMetadata, type KeyRecord, type MaterialRecord } from '../domain/key.ts';
import type { KeySession } from './key-session.ts';

/** Every key of `key`'s set (just `key` when it is single-Region). */
export async function multiRegionSet(keys: KeySession, key: KeyRecord): Promise<KeyRecord[]> {
  if (!key.multiRegion) return [key];
  return keys.keysWithKeyId(key.accountId, key.keyId);
}

/** The other keys of `key`'s set. */
export async function peersOf(keys: KeySession, key: KeyRecord): Promise<KeyRecord[]> {
  return (await multiRegionSet(keys, key)).filter((k) => k.arn !== key.arn);
}

export function multiRegionConfiguration(key: KeyRecord, set: readonly KeyRecord[]): MultiRegionConfiguration {
  const primary = set.find((k) => k.multiRegionKeyType === 'PRIMARY');
  return {
    MultiRegionKeyType: key.multiRegionKeyType ?? 'PRIMARY',
    ...(primary ? { PrimaryKey: { Arn: primary.arn, Region: primary.region } } : {}),
    ReplicaKeys: set.filter((k) => k.multiRegionKeyType === 'REPLICA').map((k) => ({ Arn: k.arn, Region: k.region })),
  };
}

/** KeyMetadata with MultiRegionConfiguration for a multi-Region key. */
export async function describe(keys: KeySession, key: KeyRecord): Promise<KeyMetadata> {
  const state = await keys.stateOf(key);
  const shown = state === key.state ? key : { ...key, state };
  return key.multiRegion ? keyMetadata(shown, multiRegionConfiguration(key, await multiRegionSet(keys, key))) : keyMetadata(shown);
}

/** Copies of `from`'s materials for the key `toArn`: the key store holds each for it too. */
export async function copyMaterials(keys: KeySession, from: KeyRecord, toArn: string): Promise<MaterialRecord[]> {
  const materials = await keys.materialsOf(from.arn);
  return Promise.all(materials.map(async (m) => ({ ...m, keyArn: toArn, ...await keys.store.copy(m, toArn) })));
}

export interface ReplicaSettings {
  readonly policy: string;
  readonly description: string;
  readonly tags: KeyRecord['tags'];
}

/**
 * A new replica of `primary` in `region`: the shared properties and a copy of every material
 * (an EXTERNAL primary's materials are announced, not copied: the replica imports them itself).
 */
export async function newReplica(keys: KeySession, primary: KeyRecord, region: string, own: ReplicaSettings): Promise<{ key: KeyRecord; materials: MaterialRecord[] }> {
  const arn = keyArn({ partition: primary.arn.split(':')[1] ?? 'aws', region, accountId: primary.accountId }, primary.keyId);
  const imported = primary.origin === 'EXTERNAL' ? unimportedCopy(primary.importedMaterials ?? []) : undefined;
  const { deletionDate: _d, pendingWindowInDays: _p, importedMaterials: _i, ...base } = primary;
  const key: KeyRecord = {
    ...base, ...own, arn, region, creationDate: keys.clock.now(), multiRegionKeyType: 'REPLICA',
    state: imported !== undefined && lacksMaterial(imported) ? 'PendingImport' : 'Enabled',
    ...(imported !== undefined ? { importedMaterials: imported } : {}),
  };
  return { key, materials: imported !== undefined ? [] : await copyMaterials(keys, primary, arn) };
}

/** The fields a replica takes from its primary whenever they change. */
export function shared(primary: KeyRecord): Pick<KeyRecord, 'rotation' | 'onDemandRotations' | 'currentMaterialId'> {
  return { rotation: primary.rotation, onDemandRotations: primary.onDemandRotations, currentMaterialId: primary.currentMaterialId };
}

/** Applies `change` to a primary and carries the shared fields to its replicas (one change set). */
export async function updateWithReplicas(
  keys: KeySession, primaryArn: string, change: (k: KeyRecord) => KeyRecord,
  replicaChange: (replica: KeyRecord, primary: KeyRecord) => KeyRecord = (r, p) => ({ ...r, ...shared(p) }),
): Promise<KeyRecord> {
  const primary = await keys.get(primaryArn);
  const replicas = primary && primary.multiRegionKeyType === 'PRIMARY' ? (await peersOf(keys, primary)).map((k) => k.arn) : [];
  let updatedPrimary: KeyRecord | undefined;
  const all = await keys.updateAll([primaryArn, ...replicas], (k) => {
    if (k.arn === primaryArn) return (updatedPrimary = change(k));
    if (!updatedPrimary) throw new Error('the primary is updated first');
    return replicaChange(k, updatedPrimary);
  });
  return all[0] as KeyRecord;
}

/**
 * After a key of a set is destroyed: a primary waiting for its replicas (PendingReplicaDeletion)
 * whose last replica is gone starts its own waiting period.
 */
export async function afterMemberDestroyed(keys: KeySession, destroyed: KeyRecord, now: number): Promise<void> {
  if (!destroyed.multiRegion) return;
  const rest = await keys.keysWithKeyId(destroyed.accountId, destroyed.keyId);
  for (const k of rest) {
    if (k.state !== 'PendingReplicaDeletion' || rest.length > 1) continue;
    const days = k.pendingWindowInDays ?? 30;
    await keys.update(k.arn, (x) => ({ ...x, state: 'PendingDeletion', deletionDate: now + days * DAY_MS, pendingWindowInDays: days }));
  }
}
