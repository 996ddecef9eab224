/**
 * The rules of imported key material (reference §3.7, §3.9, §3.10), as pure functions over a
 * key's list of associated materials (KeyRecord.importedMaterials):
 *
 * - The first import associates a material with the key for good (it becomes current). A
 *   symmetric key may later take NEW_KEY_MATERIAL, which waits in PENDING_ROTATION until
 *   RotateKeyOnDemand makes it current; asymmetric and HMAC keys never change material.
 * - Re-importing (EXISTING_KEY_MATERIAL, the default after the first import) must bring a material
 *   already associated: its id, derived from key id and material, is compared in constant time.
 * - A key lacking any permanently associated material is PendingImport; importing the last
 *   missing one makes it Enabled; deleting or expiring one sends it back (not while pending
 *   deletion). Pending-rotation material is not permanently associated: deleting it forgets it.
 */
import { sameMaterialId } from '../crypto/imported-material.ts';
import { ValidationException } from '../errors/common-errors.ts';
import { IncorrectKeyMaterialException, KMSInvalidStateException, UnsupportedOperationException } from '../errors/kms-errors.ts';
import type { ExpirationModel, ImportedMaterial, KeyRecord } from './key.ts';
import type { KeyState } from './key-states.ts';

export type ImportType = 'NEW_KEY_MATERIAL' | 'EXISTING_KEY_MATERIAL';
export type ImportDecision = 'first' | 'existing' | 'new';

export interface ImportTerms {
  readonly expirationModel: ExpirationModel;
  readonly validTo?: number;
  readonly description?: string;
}

export interface ImportChoice {
  readonly importType?: ImportType;
  readonly keyMaterialId?: string;
}

const associated = (list: readonly ImportedMaterial[], id: string): ImportedMaterial | undefined => {
  let hit: ImportedMaterial | undefined;
  for (const m of list) if (sameMaterialId(m.materialId, id)) hit = m; // no early exit
  return hit;
};

/**
 * What importing the material `materialId` into `key` means, or the error AWS answers.
 * `canRotate`: the key may take new material (symmetric keys).
 */
export function decideImport(key: KeyRecord, materialId: string, choice: ImportChoice, canRotate: boolean): ImportDecision {
  const list = key.importedMaterials ?? [];
  const match = associated(list, materialId);
  if (choice.keyMaterialId !== undefined) {
    if (choice.importType === 'NEW_KEY_MATERIAL') {
      throw new ValidationException('You cannot specify a KeyMaterialId when the ImportType is NEW_KEY_MATERIAL.');
    }
    if (!associated(list, choice.keyMaterialId)) {
      throw new IncorrectKeyMaterialException(`Key material (id: ${choice.keyMaterialId}) is not associated with KMS key ${key.keyId}.`);
    }
    if (!sameMaterialId(choice.keyMaterialId, materialId)) {
      throw new IncorrectKeyMaterialException(`The imported key material is not the key material with id ${choice.keyMaterialId}.`);
    }
  }
  const type = choice.importType ?? (list.length === 0 ? 'NEW_KEY_MATERIAL' : 'EXISTING_KEY_MATERIAL');
  if (type === 'EXISTING_KEY_MATERIAL') {
    if (!match) {
      throw new IncorrectKeyMaterialException(`Key material (id: ${materialId}) is not associated with KMS key ${key.keyId}: import the key material that was imported before.`);
    }
    return 'existing';
  }
  if (key.multiRegionKeyType === 'REPLICA') {
    throw new UnsupportedOperationException(`${key.arn} is a multi-Region replica key: import new key material into its primary key, then the same key material into this key with ImportType EXISTING_KEY_MATERIAL.`);
  }
  if (list.length === 0) return 'first';
  if (match) {
    throw new IncorrectKeyMaterialException(`Key material (id: ${materialId}) is already associated with KMS key ${key.keyId}; import it with ImportType EXISTING_KEY_MATERIAL.`);
  }
  if (!canRotate) {
    throw new IncorrectKeyMaterialException(`KMS key ${key.keyId} is a ${key.keySpec} key, whose key material cannot change: import the key material that was imported before.`);
  }
  const pending = list.find((m) => m.pendingRotation);
  if (pending) {
    throw new KMSInvalidStateException(`New key material (id: ${materialId}) cannot be imported into KMS key ${key.keyId}, because another key material (id: ${pending.materialId}) is pending rotation.`);
  }
  return 'new';
}

/** An entry without the terms of an import (deleted or expired material). */
function withoutTerms(m: ImportedMaterial): ImportedMaterial {
  const { expirationModel: _e, validTo: _v, ...rest } = m;
  return { ...rest, imported: false };
}

function imported(base: Omit<ImportedMaterial, 'imported'>, terms: ImportTerms): ImportedMaterial {
  const { expirationModel: _e, validTo: _v, description, ...rest } = base;
  const text = terms.description ?? description;
  return {
    ...rest, imported: true, expirationModel: terms.expirationModel,
    ...(terms.validTo !== undefined ? { validTo: terms.validTo } : {}),
    ...(text !== undefined ? { description: text } : {}),
  };
}

/** The list after an import decided by decideImport. */
export function applyImport(list: readonly ImportedMaterial[], decision: ImportDecision, materialId: string, terms: ImportTerms, now: number): ImportedMaterial[] {
  switch (decision) {
    case 'first': return [imported({ materialId, associatedAt: now, pendingRotation: false }, terms)];
    case 'new': return [...list, imported({ materialId, associatedAt: now, pendingRotation: true }, terms)];
    case 'existing': return list.map((m) => (sameMaterialId(m.materialId, materialId) ? imported(m, terms) : m));
  }
}

/** The list after a material is deleted (or expires): pending-rotation material is forgotten. */
export function withoutMaterial(list: readonly ImportedMaterial[], materialId: string): ImportedMaterial[] {
  return list.flatMap((m) => (m.materialId !== materialId ? [m] : m.pendingRotation ? [] : [withoutTerms(m)]));
}

/** Ids of the imported materials whose ValidTo has come. */
export function expiredMaterials(list: readonly ImportedMaterial[], now: number): string[] {
  return list.filter((m) => m.imported && m.validTo !== undefined && m.validTo <= now).map((m) => m.materialId);
}

/** The list after an on-demand rotation made `materialId` (pending rotation) current. */
export function promotePending(list: readonly ImportedMaterial[], materialId: string, now: number): ImportedMaterial[] {
  return list.map((m) => (m.materialId === materialId ? { ...m, pendingRotation: false, rotationDate: now, rotationType: 'ON_DEMAND' as const } : m));
}

/** A replica's copy of its primary's list: the same materials, none imported yet. */
export function unimportedCopy(list: readonly ImportedMaterial[]): ImportedMaterial[] {
  return list.map((m) => withoutTerms({ ...m, imported: false }));
}

/** `list` with `entry` associated too (not imported), as a replica learns of its primary's new material. */
export function associate(list: readonly ImportedMaterial[], entry: ImportedMaterial): ImportedMaterial[] {
  return list.some((m) => m.materialId === entry.materialId) ? [...list] : [...list, withoutTerms({ ...entry, imported: false })];
}

/** The key lacks a permanently associated material (or has none yet). */
export function lacksMaterial(list: readonly ImportedMaterial[]): boolean {
  return list.length === 0 || list.some((m) => !m.pendingRotation && !m.imported);
}

export function stateAfterImport(state: KeyState, list: readonly ImportedMaterial[]): KeyState {
  return state === 'PendingImport' && !lacksMaterial(list) ? 'Enabled' : state;
}

export function stateAfterLoss(state: KeyState, list: readonly ImportedMaterial[]): KeyState {
  return (state === 'Enabled' || state === 'Disabled') && lacksMaterial(list) ? 'PendingImport' : state;
}

export type KeyMaterialState = 'CURRENT' | 'NON_CURRENT' | 'PENDING_ROTATION' | 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION';

/** ListKeyRotations' KeyMaterialState of an entry; `replicas` are a primary's replicas. */
export function keyMaterialState(key: KeyRecord, m: ImportedMaterial, replicas: readonly KeyRecord[]): KeyMaterialState {
  if (m.materialId === key.currentMaterialId) return 'CURRENT';
  if (!m.pendingRotation) return 'NON_CURRENT';
  const everywhere = replicas.every((r) => (r.importedMaterials ?? []).some((x) => x.materialId === m.materialId && x.imported));
  return everywhere ? 'PENDING_ROTATION' : 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION';
}
