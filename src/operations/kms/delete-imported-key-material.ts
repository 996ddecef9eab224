/**
 * DeleteImportedKeyMaterial (https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteImportedKeyMaterial.html).
 * Deletes the named material (the current one by default): its wrapped copy is removed and the
 * key goes PendingImport (unless pending deletion) until the same material is imported again.
 * Material pending rotation is forgotten; a multi-Region primary's also from its replicas. A key
 * with nothing imported is left unchanged.
 * Errors: NotFoundException (also for a material the key does not have), KMSInvalidStateException,
 * UnsupportedOperationException (not an EXTERNAL key).
 */
import type { DeleteImportedKeyMaterialRequest, DeleteImportedKeyMaterialResponse } from '@aws-sdk/client-kms';
import { deleteImportedMaterial } from '../../services/import-material.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { requireExternal } from './import-checks.ts';

export const deleteImportedKeyMaterial = defineOperation<DeleteImportedKeyMaterialRequest, DeleteImportedKeyMaterialResponse>('DeleteImportedKeyMaterial', async (input, ctx) => {
  const key = await keyFor(ctx, 'DeleteImportedKeyMaterial', input.KeyId as string, false);
  requireExternal(key);
  const materialId = await deleteImportedMaterial(ctx.keyring, key, input.KeyMaterialId);
  return { KeyId: key.arn, ...(materialId !== undefined ? { KeyMaterialId: materialId } : {}) };
});
