/**
 * Multi-Region keys (reference §3.11). A set is every key of an account with one `mrk-` key id,
 * one per region: one PRIMARY and its REPLICAs. They share the key id, spec, usage, origin, the
 * key material (each replica holds its own wrapped copy, bound to its own ARN) and the rotation
 * settings; policy, grants, description, tags, aliases and state are each key's own. The set is
 * read from the repository, so every region sees the same one.
 */
import type { KeyMetadata, MultiRegionConfiguration } from '@aws-sdk/client-kms';
import { DAY_MS } from '../core/clock.ts';
import { zero } from '../crypto/bytes.ts';
import { keyArn } from '../core/arn.ts';
import { lacksMaterial, unimportedCopy } from '../domain/import-rules.ts';
import { keyMetadata, type KeyRecord, type MaterialRecord } from '../domain/key.ts';
import type { Keyring } from './keyring.ts';

/** Every key of `key`'s set (just `key` when it is single-Region). */
export function multiRegionSet(keyring: Keyring, key: KeyRecord): KeyRecord[] {
  if (!key.multiRegion) return [key];
  return keyring.repo.keysWithKeyId(key.accountId, key.keyId);
}

/** The other keys of `key`'s set. */
export function peersOf(keyring: Keyring, key: KeyRecord): KeyRecord[] {
  return multiRegionSet(keyring, key).filter((k) => k.arn !== key.arn);
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
export function describe(keyring: Keyring, key: KeyRecord): KeyMetadata {
  return key.multiRegion ? keyMetadata(key, multiRegionConfiguration(key, multiRegionSet(keyring, key))) : keyMetadata(key);
}

/** Copies of `from`'s wrapped materials for the key `toArn`: unwrapped and wrapped again under its ARN. */
export function copyMaterials(keyring: Keyring, from: KeyRecord, toArn: string): MaterialRecord[] {
  return keyring.materialsOf(from.arn).map((m) => {
    const plaintext = keyring.store.unwrap(from.arn, m.materialId, m);
    try {
      return { ...m, keyArn: toArn, ...keyring.store.wrap(toArn, m.materialId, plaintext) };
    } finally {
      zero(plaintext);
    }
  });
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
export function newReplica(keyring: Keyring, primary: KeyRecord, region: string, own: ReplicaSettings): { key: KeyRecord; materials: MaterialRecord[] } {
  const arn = keyArn({ partition: primary.arn.split(':')[1] ?? 'aws', region, accountId: primary.accountId }, primary.keyId);
  const imported = primary.origin === 'EXTERNAL' ? unimportedCopy(primary.importedMaterials ?? []) : undefined;
  const { deletionDate: _d, pendingWindowInDays: _p, importedMaterials: _i, ...base } = primary;
  const key: KeyRecord = {
    ...base, ...own, arn, region, creationDate: keyring.clock.now(), multiRegionKeyType: 'REPLICA',
    state: imported !== undefined && lacksMaterial(imported) ? 'PendingImport' : 'Enabled',
    ...(imported !== undefined ? { importedMaterials: imported } : {}),
  };
  return { key, materials: imported !== undefined ? [] : copyMaterials(keyring, primary, arn) };
}

/** The fields a replica takes from its primary whenever they change. */
export function shared(primary: KeyRecord): Pick<KeyRecord, 'rotation' | 'onDemandRotations' | 'currentMaterialId'> {
  return { rotation: primary.rotation, onDemandRotations: primary.onDemandRotations, currentMaterialId: primary.currentMaterialId };
}

/**
 * Applies `change` to a primary and carries the shared fields to its replicas, in one transaction.
 * `extra` receives the updated records (primary first) to write materials in the same transaction.
 */
export function updateWithReplicas(
  keyring: Keyring, primaryArn: string, change: (k: KeyRecord) => KeyRecord,
  replicaChange: (replica: KeyRecord, primary: KeyRecord) => KeyRecord = (r, p) => ({ ...r, ...shared(p) }),
  extra?: (updated: readonly KeyRecord[]) => void,
): KeyRecord {
  const primary = keyring.get(primaryArn);
  const replicas = primary && primary.multiRegionKeyType === 'PRIMARY' ? peersOf(keyring, primary).map((k) => k.arn) : [];
  let updatedPrimary: KeyRecord | undefined;
  const all = keyring.updateAll([primaryArn, ...replicas], (k) => {
    if (k.arn === primaryArn) return (updatedPrimary = change(k));
    if (!updatedPrimary) throw new Error('the primary is updated first');
    return replicaChange(k, updatedPrimary);
  }, extra);
  return all[0] as KeyRecord;
}

/**
 * After a key of a set is destroyed: a primary waiting for its replicas (PendingReplicaDeletion)
 * whose last replica is gone starts its own waiting period.
 */
export function afterMemberDestroyed(keyring: Keyring, destroyed: KeyRecord, now: number): void {
  if (!destroyed.multiRegion) return;
  const rest = keyring.repo.keysWithKeyId(destroyed.accountId, destroyed.keyId);
  for (const k of rest) {
    if (k.state !== 'PendingReplicaDeletion' || rest.length > 1) continue;
    const days = k.pendingWindowInDays ?? 30;
    keyring.update(k.arn, (x) => ({ ...x, state: 'PendingDeletion', deletionDate: now + days * DAY_MS, pendingWindowInDays: days }));
  }
}
