import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AwsError } from '../errors/aws-error.ts';
import {
  applyImport, associate, decideImport, expiredMaterials, keyMaterialState, lacksMaterial, promotePending, stateAfterImport, stateAfterLoss,
  unimportedCopy, withoutMaterial, type ImportChoice,
} from './import-rules.ts';
import type { ImportedMaterial, KeyRecord } from './key.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const NEVER = { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } as const;
const key = (importedMaterials: ImportedMaterial[], extra: Partial<KeyRecord> = {}): KeyRecord => ({
  arn: 'arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab', keyId: 'mrk-1234abcd12ab34cd56ef1234567890ab',
  accountId: '111122223333', region: 'us-east-1', creationDate: 0, description: '', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT',
  origin: 'EXTERNAL', multiRegion: false, state: 'Enabled', rotation: { enabled: false, periodDays: 365 }, onDemandRotations: 0,
  currentMaterialId: importedMaterials[0]?.materialId ?? '', policy: '{}', tags: [], importedMaterials, ...extra,
});
const entry = (materialId: string, extra: Partial<ImportedMaterial> = {}): ImportedMaterial =>
  ({ materialId, associatedAt: 1, pendingRotation: false, imported: true, expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ...extra });
const refusal = (k: KeyRecord, id: string, choice: ImportChoice = {}, canRotate = true): string => {
  try {
    return decideImport(k, id, choice, canRotate);
  } catch (e) {
    return `${(e as AwsError).code}: ${(e as AwsError).message}`;
  }
};

test('decideImport: first import, re-import, new material, and what AWS refuses', () => {
  assert.equal(refusal(key([]), A), 'first');
  assert.match(refusal(key([]), A, { importType: 'EXISTING_KEY_MATERIAL' }), /^IncorrectKeyMaterialException: /);
  assert.equal(refusal(key([entry(A)]), A), 'existing', 'EXISTING_KEY_MATERIAL is the default after the first import');
  assert.match(refusal(key([entry(A)]), B), /^IncorrectKeyMaterialException: Key material \(id: b+\) is not associated/);
  assert.equal(refusal(key([entry(A)]), B, { importType: 'NEW_KEY_MATERIAL' }), 'new');
  assert.match(refusal(key([entry(A)]), A, { importType: 'NEW_KEY_MATERIAL' }), /^IncorrectKeyMaterialException: .*already associated/);
  assert.match(refusal(key([entry(A)]), B, { importType: 'NEW_KEY_MATERIAL' }, false), /^IncorrectKeyMaterialException: .*cannot change/);
  assert.equal(
    refusal(key([entry(A), entry(B, { pendingRotation: true })]), C, { importType: 'NEW_KEY_MATERIAL' }),
    `KMSInvalidStateException: New key material (id: ${C}) cannot be imported into KMS key mrk-1234abcd12ab34cd56ef1234567890ab, because another key material (id: ${B}) is pending rotation.`,
  );
  assert.equal(refusal(key([entry(A), entry(B)]), B, { keyMaterialId: B }), 'existing');
  assert.match(refusal(key([entry(A), entry(B)]), A, { keyMaterialId: B }), /^IncorrectKeyMaterialException: The imported key material is not the key material with id b+\.$/);
  assert.match(refusal(key([entry(A)]), C, { keyMaterialId: C }), /^IncorrectKeyMaterialException: Key material \(id: c+\) is not associated/);
  assert.match(refusal(key([entry(A)]), A, { keyMaterialId: A, importType: 'NEW_KEY_MATERIAL' }), /^ValidationException: /);
  assert.match(refusal(key([], { multiRegionKeyType: 'REPLICA' }), A), /^UnsupportedOperationException: .*replica/);
  assert.equal(refusal(key([entry(A, { imported: false })], { multiRegionKeyType: 'REPLICA' }), A), 'existing');
});

test('applyImport records the terms; re-import replaces them and keeps the description unless given', () => {
  const first = applyImport([], 'first', A, { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: 50, description: 'one' }, 10);
  assert.deepEqual(first, [{ materialId: A, associatedAt: 10, pendingRotation: false, imported: true, expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: 50, description: 'one' }]);
  const gone = withoutMaterial(first, A);
  assert.deepEqual(gone, [{ materialId: A, associatedAt: 10, pendingRotation: false, imported: false, description: 'one' }]);
  const back = applyImport(gone, 'existing', A, NEVER, 20);
  assert.deepEqual(back, [{ materialId: A, associatedAt: 10, pendingRotation: false, imported: true, expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', description: 'one' }]);
  const next = applyImport(back, 'new', B, { ...NEVER, description: 'two' }, 30);
  assert.deepEqual(next.map((m) => [m.materialId, m.pendingRotation, m.description]), [[A, false, 'one'], [B, true, 'two']]);
  assert.deepEqual(withoutMaterial(next, B).map((m) => m.materialId), [A], 'pending material is forgotten when deleted');
});

test('key state: PendingImport while any permanently associated material is missing; not while pending deletion', () => {
  const list = [entry(A), entry(B, { imported: false })];
  assert.equal(lacksMaterial([]), true);
  assert.equal(lacksMaterial(list), true);
  assert.equal(lacksMaterial([entry(A), entry(B, { imported: false, pendingRotation: true })]), false);
  assert.equal(stateAfterImport('PendingImport', list), 'PendingImport');
  assert.equal(stateAfterImport('PendingImport', [entry(A)]), 'Enabled');
  assert.equal(stateAfterImport('Disabled', [entry(A)]), 'Disabled');
  assert.equal(stateAfterLoss('Enabled', list), 'PendingImport');
  assert.equal(stateAfterLoss('Disabled', list), 'PendingImport');
  assert.equal(stateAfterLoss('PendingDeletion', list), 'PendingDeletion');
  assert.equal(stateAfterLoss('Enabled', [entry(A)]), 'Enabled');
});

test('expiry, rotation and replicas', () => {
  const list = [entry(A, { validTo: 100 }), entry(B, { validTo: 200 }), entry(C, { imported: false })];
  assert.deepEqual(expiredMaterials(list, 99), []);
  assert.deepEqual(expiredMaterials(list, 150), [A]);
  assert.deepEqual(expiredMaterials(list, 200), [A, B]);
  const rotated = promotePending([entry(A), entry(B, { pendingRotation: true })], B, 7);
  assert.deepEqual(rotated[1], { ...entry(B), pendingRotation: false, rotationDate: 7, rotationType: 'ON_DEMAND' });
  const copy = unimportedCopy([entry(A, { validTo: 5, description: 'd' })]);
  assert.deepEqual(copy, [{ materialId: A, associatedAt: 1, pendingRotation: false, imported: false, description: 'd' }]);
  assert.deepEqual(associate(copy, entry(B, { pendingRotation: true })).map((m) => [m.materialId, m.imported, m.pendingRotation]), [[A, false, false], [B, false, true]]);
  assert.equal(associate(copy, entry(A)).length, 1);

  const primary = key([entry(A), entry(B, { pendingRotation: true })]);
  const replica = (imported: boolean) => key([entry(A), entry(B, { pendingRotation: true, imported })]);
  assert.equal(keyMaterialState(primary, entry(A), []), 'CURRENT');
  assert.equal(keyMaterialState(primary, entry(B, { pendingRotation: true }), [replica(false)]), 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION');
  assert.equal(keyMaterialState(primary, entry(B, { pendingRotation: true }), [replica(true)]), 'PENDING_ROTATION');
  assert.equal(keyMaterialState(key([entry(B), entry(A)]), entry(A), []), 'NON_CURRENT');
});
