/**
 * Key life-cycle steps shared by operations and the scheduler: adding a key version (rotation),
 * and destroying a key whose waiting period has passed.
 */
import { DAY_MS } from '../core/clock.ts';
import { newMaterialId } from '../core/ids.ts';
import { zero } from '../crypto/bytes.ts';
import type { KeyRecord, MaterialRecord, RotationType } from './key.ts';
import type { Keyring } from './keyring.ts';

export const BACKING_KEY_BYTES = 32;

/** Makes a fresh wrapped backing key for `keyArn` (the plaintext copy is zeroed at once). */
export function newMaterial(keyring: Keyring, keyArn: string, now: number, rotationType?: RotationType): MaterialRecord {
  const materialId = newMaterialId().toString('hex');
  const { wrapped, plaintext } = keyring.store.generate(keyArn, materialId, BACKING_KEY_BYTES);
  zero(plaintext);
  return { keyArn, materialId, ...wrapped, createdAt: now, ...(rotationType ? { rotationType } : {}) };
}

/** Adds a new current version; older versions stay so every older ciphertext still decrypts. */
export function rotate(keyring: Keyring, arn: string, type: RotationType): KeyRecord {
  const now = keyring.clock.now();
  const material = newMaterial(keyring, arn, now, type);
  return keyring.update(
    arn,
    (k) => ({
      ...k,
      currentMaterialId: material.materialId,
      onDemandRotations: k.onDemandRotations + (type === 'ON_DEMAND' ? 1 : 0),
      rotation: k.rotation.enabled && type === 'AUTOMATIC'
        ? { ...k.rotation, nextRotationDate: now + k.rotation.periodDays * DAY_MS }
        : k.rotation,
    }),
    () => keyring.repo.putMaterial(material),
  );
}

/** Runs the due scheduled work once. Idempotent: each step re-reads the durable state. */
export function runDueWork(keyring: Keyring, onEvent: (event: string, arn: string) => void): { deleted: number; rotated: number } {
  const now = keyring.clock.now();
  let deleted = 0;
  let rotated = 0;
  for (const arn of keyring.repo.keysDueForDeletion(now)) {
    const k = keyring.repo.getKey(arn);
    if (!k || k.state !== 'PendingDeletion' || k.deletionDate === undefined || k.deletionDate > now) continue;
    keyring.destroy(arn);
    deleted++;
    onEvent('DeleteKey', arn);
  }
  for (const arn of keyring.repo.keysDueForRotation(now)) {
    const k = keyring.repo.getKey(arn);
    const due = k?.rotation.nextRotationDate;
    if (!k || k.state !== 'Enabled' || !k.rotation.enabled || due === undefined || due > now) continue;
    rotate(keyring, arn, 'AUTOMATIC');
    rotated++;
    onEvent('RotateKey', arn);
  }
  return { deleted, rotated };
}
