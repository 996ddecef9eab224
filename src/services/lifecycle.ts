/**
 * Key life-cycle steps shared by operations and the scheduler: adding a key version (rotation),
 * destroying a key whose waiting period has passed, and deleting imported material that expired.
 */
import { DAY_MS } from '../core/clock.ts';
import { newMaterialId } from '../core/ids.ts';
import { zero } from '../crypto/bytes.ts';
import { expireImportedMaterial } from './import-material.ts';
import type { KeyRecord, MaterialRecord, RotationType } from '../domain/key.ts';
import type { Keyring } from './keyring.ts';
import { afterMemberDestroyed, peersOf, updateWithReplicas } from './multi-region.ts';

export const BACKING_KEY_BYTES = 32;

/**
 * Makes one fresh backing key, wrapped for each of `keyArns` (a key and its replicas share their
 * material); the plaintext copy is zeroed at once.
 */
export function newMaterial(keyring: Keyring, keyArns: readonly string[], now: number, rotationType?: RotationType): MaterialRecord[] {
  const [first = ''] = keyArns;
  const materialId = newMaterialId().toString('hex');
  const { wrapped, plaintext } = keyring.store.generate(first, materialId, BACKING_KEY_BYTES);
  try {
    return keyArns.map((keyArn) => ({
      keyArn, materialId, ...(keyArn === first ? wrapped : keyring.store.wrap(keyArn, materialId, plaintext)),
      createdAt: now, ...(rotationType ? { rotationType } : {}),
    }));
  } finally {
    zero(plaintext);
  }
}

/**
 * Adds a new current version; older versions stay so every older ciphertext still decrypts. A
 * multi-Region primary's replicas get the same version in the same transaction.
 */
export function rotate(keyring: Keyring, arn: string, type: RotationType): KeyRecord {
  const now = keyring.clock.now();
  const key = keyring.get(arn);
  const replicas = key?.multiRegionKeyType === 'PRIMARY' ? peersOf(keyring, key).map((k) => k.arn) : [];
  const materials = newMaterial(keyring, [arn, ...replicas], now, type);
  const materialId = materials[0]?.materialId ?? '';
  return updateWithReplicas(
    keyring, arn,
    (k) => ({
      ...k,
      currentMaterialId: materialId,
      onDemandRotations: k.onDemandRotations + (type === 'ON_DEMAND' ? 1 : 0),
      rotation: k.rotation.enabled && type === 'AUTOMATIC'
        ? { ...k.rotation, nextRotationDate: now + k.rotation.periodDays * DAY_MS }
        : k.rotation,
    }),
    undefined,
    () => { for (const m of materials) keyring.repo.putMaterial(m); },
  );
}

/** Runs the due scheduled work once. Idempotent: each step re-reads the durable state. */
export function runDueWork(keyring: Keyring, onEvent: (event: string, arn: string) => void): { deleted: number; rotated: number; expired: number } {
  const now = keyring.clock.now();
  let deleted = 0;
  let rotated = 0;
  let expired = 0;
  for (const arn of keyring.repo.keysDueForDeletion(now)) {
    const k = keyring.repo.getKey(arn);
    if (!k || k.state !== 'PendingDeletion' || k.deletionDate === undefined || k.deletionDate > now) continue;
    keyring.destroy(arn);
    deleted++;
    onEvent('DeleteKey', arn);
    afterMemberDestroyed(keyring, k, now);
  }
  for (const arn of keyring.repo.keysDueForRotation(now)) {
    const k = keyring.repo.getKey(arn);
    const due = k?.rotation.nextRotationDate;
    if (!k || k.state !== 'Enabled' || !k.rotation.enabled || due === undefined || due > now) continue;
    rotate(keyring, arn, 'AUTOMATIC');
    rotated++;
    onEvent('RotateKey', arn);
  }
  for (const arn of keyring.repo.keysDueForMaterialExpiry(now)) {
    if (!expireImportedMaterial(keyring, arn, now)) continue;
    expired++;
    onEvent('DeleteExpiredKeyMaterial', arn);
  }
  return { deleted, rotated, expired };
}
