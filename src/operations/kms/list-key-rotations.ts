/**
 * ListKeyRotations (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeyRotations.html).
 * ROTATIONS_ONLY (default) lists the versions rotation added; ALL_KEY_MATERIAL adds the first and,
 * for an EXTERNAL key, the material pending rotation. An EXTERNAL key's entries also carry
 * ImportState, ExpirationModel, ValidTo and KeyMaterialDescription. Limit 1..1000, default 100.
 * Errors: NotFoundException, InvalidMarkerException, KMSInvalidStateException, UnsupportedOperationException.
 */
import type { ListKeyRotationsRequest, ListKeyRotationsResponse, RotationsListEntry } from '@aws-sdk/client-kms';
import { keyMaterialState } from '../../domain/import-rules.ts';
import type { KeyRecord } from '../../domain/key.ts';
import { peersOf } from '../../services/multi-region.ts';
import { defineOperation, type OperationContext } from '../context.ts';
import { checkLimit, decodeMarker, keyFor, page } from './common.ts';
import { requireRotatable } from './rotation-rules.ts';

/** Every entry of the key, oldest first, each with the id the marker uses. */
async function entries(ctx: OperationContext, key: KeyRecord, all: boolean): Promise<Array<{ id: string; entry: RotationsListEntry }>> {
  if (key.origin !== 'EXTERNAL') {
    return (await ctx.keyring.materialsOf(key.arn)).filter((m) => all || m.rotationType !== undefined).map((m) => ({
      id: m.materialId,
      entry: {
        KeyId: key.arn, KeyMaterialId: m.materialId, KeyMaterialState: m.materialId === key.currentMaterialId ? 'CURRENT' : 'NON_CURRENT',
        ...(m.rotationType ? { RotationDate: new Date(m.createdAt), RotationType: m.rotationType } : {}),
      },
    }));
  }
  const replicas = key.multiRegionKeyType === 'PRIMARY' ? await peersOf(ctx.keyring, key) : [];
  return (key.importedMaterials ?? []).filter((m) => all || m.rotationType !== undefined).map((m) => ({
    id: m.materialId,
    entry: {
      KeyId: key.arn, KeyMaterialId: m.materialId,
      ...(m.description !== undefined ? { KeyMaterialDescription: m.description } : {}),
      ImportState: m.imported ? 'IMPORTED' : 'PENDING_IMPORT',
      KeyMaterialState: keyMaterialState(key, m, replicas),
      ...(m.expirationModel !== undefined ? { ExpirationModel: m.expirationModel } : {}),
      ...(m.validTo !== undefined ? { ValidTo: new Date(m.validTo) } : {}),
      ...(m.rotationType !== undefined && m.rotationDate !== undefined ? { RotationDate: new Date(m.rotationDate), RotationType: m.rotationType } : {}),
    },
  }));
}

export const listKeyRotations = defineOperation<ListKeyRotationsRequest, ListKeyRotationsResponse>('ListKeyRotations', async (input, ctx) => {
  const limit = checkLimit(input.Limit, 1000, 100);
  const key = await keyFor(ctx, 'ListKeyRotations', input.KeyId as string, false);
  requireRotatable(key, { imported: true });
  const after = decodeMarker(input.Marker);
  const versions = await entries(ctx, key, input.IncludeKeyMaterial === 'ALL_KEY_MATERIAL');
  const start = after === undefined ? 0 : versions.findIndex((v) => v.id === after) + 1;
  const p = page(versions.slice(start, start + limit + 1), limit, (v) => v.id);
  return { Rotations: p.items.map((v) => v.entry), Truncated: p.Truncated, ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}) };
});
