/**
 * Key life-cycle steps shared by operations and the scheduler: adding a key version (rotation),
 * destroying a key whose waiting period has passed, and deleting imported material that expired.
 */
import { DAY_MS } from '../core/clock.ts';
import { newMaterialId } from '../core/ids.ts';
import { expireImportedMaterial } from './import-material.ts';
import type { KeyRecord, MaterialRecord, RotationType } from '../domain/key.ts';
import type { KeySession } from './key-session.ts';
import type { ServiceEvent } from '../ports/audit.ts';
import { afterMemberDestroyed, peersOf, updateWithReplicas } from './multi-region.ts';

export const BACKING_KEY_BYTES = 32;

/**
 * Makes one fresh backing key in the key store, held for each of `keyArns` (a key and its
 * replicas share their material).
 */
export async function newMaterial(keys: KeySession, keyArns: readonly string[], now: number, rotationType?: RotationType): Promise<MaterialRecord[]> {
  const [first = ''] = keyArns;
  const materialId = newMaterialId().toString('hex');
  const made: MaterialRecord = {
    keyArn: first, materialId, ...(await keys.store.generate(first, materialId, { kind: 'secret', bytes: BACKING_KEY_BYTES })).wrapped,
    createdAt: now, ...(rotationType ? { rotationType } : {}),
  };
  const copies = await Promise.all(keyArns.slice(1).map(async (keyArn) => ({ ...made, keyArn, ...await keys.store.copy(made, keyArn) })));
  return [made, ...copies];
}

/**
 * Adds a new current version; older versions stay so every older ciphertext still decrypts. A
 * multi-Region primary's replicas get the same version in the same transaction.
 */
export async function rotate(keys: KeySession, arn: string, type: RotationType): Promise<KeyRecord> {
  const now = keys.clock.now();
  const key = await keys.get(arn);
  const replicas = key?.multiRegionKeyType === 'PRIMARY' ? (await peersOf(keys, key)).map((k) => k.arn) : [];
  const materials = await newMaterial(keys, [arn, ...replicas], now, type);
  const materialId = materials[0]?.materialId ?? '';
  const updated = await updateWithReplicas(keys, arn, (k) => ({
    ...k,
    currentMaterialId: materialId,
    onDemandRotations: k.onDemandRotations + (type === 'ON_DEMAND' ? 1 : 0),
    rotation: k.rotation.enabled && type === 'AUTOMATIC'
      ? { ...k.rotation, nextRotationDate: now + k.rotation.periodDays * DAY_MS }
      : k.rotation,
  }));
  for (const m of materials) keys.putMaterial(m);
  return updated;
}

/**
 * Runs the due scheduled work once into `keys`' change set, and says what it did (the service
 * events to record with it). Idempotent: each step re-reads the state it acts on.
 */
/** A deleted key's token objects (a key of an AWS_CLOUDHSM custom key store), destroyed best effort once the deletion is committed. */
export interface TokenKeysToDestroy {
  readonly customKeyStoreId: string;
  readonly materialIds: readonly string[];
}

export async function runDueWork(keys: KeySession): Promise<{ deleted: number; rotated: number; expired: number; events: ServiceEvent[]; tokenKeys: TokenKeysToDestroy[] }> {
  const tokenKeys: TokenKeysToDestroy[] = [];
  const now = keys.clock.now();
  const events: ServiceEvent[] = [];
  let deleted = 0;
  let rotated = 0;
  let expired = 0;
  for (const arn of await keys.repo.keysDueForDeletion(now)) {
    const k = await keys.get(arn);
    if (!k || k.state !== 'PendingDeletion' || k.deletionDate === undefined || k.deletionDate > now) continue;
    if (k.customKeyStoreId !== undefined) {
      tokenKeys.push({ customKeyStoreId: k.customKeyStoreId, materialIds: (await keys.materialsOf(arn)).map((m) => m.materialId) });
    }
    keys.destroy(arn);
    deleted++;
    events.push({ eventName: 'DeleteKey', keyArn: arn });
    await afterMemberDestroyed(keys, k, now);
  }
  for (const arn of await keys.repo.keysDueForRotation(now)) {
    const k = await keys.get(arn);
    const due = k?.rotation.nextRotationDate;
    if (!k || k.state !== 'Enabled' || !k.rotation.enabled || due === undefined || due > now) continue;
    await rotate(keys, arn, 'AUTOMATIC');
    rotated++;
    events.push({ eventName: 'RotateKey', keyArn: arn });
  }
  for (const arn of await keys.repo.keysDueForMaterialExpiry(now)) {
    if (!await expireImportedMaterial(keys, arn, now)) continue;
    expired++;
    events.push({ eventName: 'DeleteExpiredKeyMaterial', keyArn: arn });
  }
  return { deleted, rotated, expired, events, tokenKeys };
}
