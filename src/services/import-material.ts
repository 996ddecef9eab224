/**
 * Importing, deleting, expiring and rotating imported key material (the rules are in
 * import-rules.ts). The material is checked against the key spec, named by its derived id, and
 * stored only wrapped by the key store; every plaintext copy made here is zeroed before this
 * returns. A multi-Region primary's new material is announced to its replicas (not imported
 * there: each replica imports the same material itself), and rotation moves the whole set.
 */
import { zero } from '../crypto/bytes.ts';
import { InvalidKeyError } from '../crypto/errors.ts';
import { importedMaterialId, inspectPrivateKey, sameKind, type InspectedPrivateKey } from '../crypto/imported-material.ts';
import { IncorrectKeyMaterialException, KMSInvalidStateException, NotFoundException, UnsupportedOperationException } from '../errors/kms-errors.ts';
import {
  applyImport, associate, decideImport, expiredMaterials, promotePending, stateAfterImport, stateAfterLoss, withoutMaterial,
  type ImportChoice, type ImportTerms,
} from '../domain/import-rules.ts';
import type { KeyRecord, MaterialRecord } from '../domain/key.ts';
import { capabilitiesOf, type KeySpec } from '../domain/key-specs.ts';
import type { KeySession } from './key-session.ts';
import { peersOf, updateWithReplicas } from './multi-region.ts';

/**
 * What is stored for `material` of a `spec` key: its canonical bytes (the caller zeroes them) and,
 * for a key pair, the public key. IncorrectKeyMaterialException when it does not fit the spec.
 * Also the check of a seed's fixed material (seed/), which is held exactly as imported material is.
 */
export function checkedMaterial(spec: KeySpec, material: Buffer): { bytes: Buffer; publicKey?: string } {
  const caps = capabilitiesOf(spec);
  const key = { keySpec: spec };
  switch (caps.material.kind) {
    case 'secret': {
      const [min, max] = caps.material.importBytes;
      if (material.length < min || material.length > max) {
        throw new IncorrectKeyMaterialException(`Key material for a ${key.keySpec} key must be ${min === max ? `${min}` : `${min} to ${max}`} bytes long.`);
      }
      return { bytes: Buffer.from(material) };
    }
    case 'pair': {
      let inspected: InspectedPrivateKey;
      try {
        inspected = inspectPrivateKey(material);
      } catch (e) {
        if (e instanceof InvalidKeyError) throw new IncorrectKeyMaterialException(`The key material is not a DER-encoded PKCS#8 private key (${e.message}).`);
        throw e;
      }
      if (!sameKind(inspected.kind, caps.material.pair)) {
        zero(inspected.privateKey);
        throw new IncorrectKeyMaterialException(`The key material is not a ${key.keySpec} private key.`);
      }
      return { bytes: inspected.privateKey, publicKey: inspected.publicKey.toString('base64') };
    }
    case 'none':
      throw new UnsupportedOperationException(caps.unsupported ?? `Coffer does not support KeySpec ${key.keySpec}.`);
  }
}

/** Imports unwrapped `material` (the caller zeroes it) into an EXTERNAL key; returns its material id. */
export async function importKeyMaterial(keys: KeySession, key: KeyRecord, material: Buffer, terms: ImportTerms, choice: ImportChoice): Promise<string> {
  const now = keys.clock.now();
  const { bytes, publicKey } = checkedMaterial(key.keySpec, material);
  try {
    const materialId = importedMaterialId(key.keyId, bytes);
    const decision = decideImport(key, materialId, choice, capabilitiesOf(key.keySpec).keyType === 'SYMMETRIC');
    const record: MaterialRecord = { keyArn: key.arn, materialId, ...await keys.store.hold(key.arn, materialId, bytes), createdAt: now };
    const announce = decision !== 'existing' && key.multiRegionKeyType === 'PRIMARY';
    await updateWithReplicas(
      keys, key.arn,
      (k) => {
        const list = applyImport(k.importedMaterials ?? [], decision, materialId, terms, now);
        return {
          ...k, importedMaterials: list, state: stateAfterImport(k.state, list),
          ...(decision === 'first' ? { currentMaterialId: materialId } : {}),
          ...(publicKey !== undefined && k.publicKey === undefined ? { publicKey } : {}),
        };
      },
      (r, p) => {
        const entry = (p.importedMaterials ?? []).find((m) => m.materialId === materialId);
        if (!announce || !entry) return r;
        return {
          ...r, importedMaterials: associate(r.importedMaterials ?? [], entry),
          currentMaterialId: r.currentMaterialId === '' ? p.currentMaterialId : r.currentMaterialId,
          ...(r.publicKey === undefined && p.publicKey !== undefined ? { publicKey: p.publicKey } : {}),
        };
      },
    );
    // Re-imported material replaces its stored copy (same id, a fresh wrap).
    keys.deleteMaterial(key.arn, materialId);
    keys.putMaterial(record);
    return materialId;
  } finally {
    zero(bytes);
  }
}

/**
 * Deletes one imported material (the current one by default). A key with nothing imported is
 * left as it is. Deleting a primary's pending-rotation material deletes it from its replicas too.
 */
export async function deleteImportedMaterial(keys: KeySession, key: KeyRecord, materialId: string | undefined): Promise<string | undefined> {
  const list = key.importedMaterials ?? [];
  const id = materialId ?? (key.currentMaterialId === '' ? undefined : key.currentMaterialId);
  if (id === undefined) return undefined;
  const entry = list.find((m) => m.materialId === id);
  if (!entry) throw new NotFoundException(`Key material ${id} is not associated with ${key.arn}.`);
  const everywhere = entry.pendingRotation && key.multiRegionKeyType === 'PRIMARY';
  const change = (k: KeyRecord): KeyRecord => {
    const next = withoutMaterial(k.importedMaterials ?? [], id);
    return { ...k, importedMaterials: next, state: stateAfterLoss(k.state, next) };
  };
  const primary = await updateWithReplicas(keys, key.arn, change, (r) => (everywhere ? change(r) : r));
  const from = everywhere ? [primary, ...await peersOf(keys, primary)] : [primary];
  for (const k of from) keys.deleteMaterial(k.arn, id);
  return id;
}

/** The scheduler's step: deletes a key's imported materials whose ValidTo has come. */
export async function expireImportedMaterial(keys: KeySession, arn: string, now: number): Promise<boolean> {
  const key = await keys.get(arn);
  const ids = expiredMaterials(key?.importedMaterials ?? [], now);
  if (!key || ids.length === 0) return false;
  await keys.update(arn, (k) => {
    const next = ids.reduce((l, id) => withoutMaterial(l, id), k.importedMaterials ?? []);
    return { ...k, importedMaterials: next, state: stateAfterLoss(k.state, next) };
  });
  for (const id of ids) keys.deleteMaterial(arn, id);
  return true;
}

/**
 * On-demand rotation of an EXTERNAL key: the material pending rotation (imported into the primary
 * and, for a multi-Region key, into every replica) becomes current everywhere.
 */
export async function rotateImported(keys: KeySession, key: KeyRecord): Promise<KeyRecord> {
  const pending = (key.importedMaterials ?? []).find((m) => m.pendingRotation && m.imported);
  const replicas = key.multiRegionKeyType === 'PRIMARY' ? await peersOf(keys, key) : [];
  const ready = pending !== undefined
    && replicas.every((r) => (r.importedMaterials ?? []).some((m) => m.materialId === pending.materialId && m.imported));
  if (!pending || !ready) throw new KMSInvalidStateException(`No available key material pending rotation for the key: ${key.arn}.`);
  const now = keys.clock.now();
  const change = (k: KeyRecord): KeyRecord => ({
    ...k, importedMaterials: promotePending(k.importedMaterials ?? [], pending.materialId, now),
    currentMaterialId: pending.materialId, onDemandRotations: k.onDemandRotations + 1,
  });
  return updateWithReplicas(keys, key.arn, change, (r, p) => ({ ...change(r), onDemandRotations: p.onDemandRotations }));
}
