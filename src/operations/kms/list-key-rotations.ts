/**
 * ListKeyRotations (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeyRotations.html).
 * ROTATIONS_ONLY (default) lists the versions rotation added; ALL_KEY_MATERIAL adds the first.
 * Limit 1..1000, default 100. Errors: NotFoundException, InvalidMarkerException,
 * KMSInvalidStateException, UnsupportedOperationException.
 */
import type { ListKeyRotationsRequest, ListKeyRotationsResponse } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { checkLimit, decodeMarker, keyFor, page } from './common.ts';
import { requireRotatable } from './rotation-rules.ts';

export const listKeyRotations = defineOperation<ListKeyRotationsRequest, ListKeyRotationsResponse>('ListKeyRotations', (input, ctx) => {
  const limit = checkLimit(input.Limit, 1000, 100);
  const key = keyFor(ctx, 'ListKeyRotations', input.KeyId as string, false);
  requireRotatable(key);
  const all = input.IncludeKeyMaterial === 'ALL_KEY_MATERIAL';
  const after = decodeMarker(input.Marker);
  const versions = ctx.keyring.materialsOf(key.arn).filter((m) => all || m.rotationType !== undefined);
  const start = after === undefined ? 0 : versions.findIndex((m) => m.materialId === after) + 1;
  const p = page(versions.slice(start, start + limit + 1), limit, (m) => m.materialId);
  return {
    Rotations: p.items.map((m) => ({
      KeyId: key.arn,
      KeyMaterialId: m.materialId,
      KeyMaterialState: m.materialId === key.currentMaterialId ? 'CURRENT' : 'NON_CURRENT',
      ...(m.rotationType ? { RotationDate: new Date(m.createdAt), RotationType: m.rotationType } : {}),
    })),
    Truncated: p.Truncated,
    ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}),
  };
});
