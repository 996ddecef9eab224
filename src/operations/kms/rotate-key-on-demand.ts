/**
 * RotateKeyOnDemand (https://docs.aws.amazon.com/kms/latest/APIReference/API_RotateKeyOnDemand.html).
 * At most 25 on-demand rotations per key. Rotation completes before the answer (Coffer has no
 * in-progress state). An EXTERNAL key rotates to the material imported with ImportType
 * NEW_KEY_MATERIAL (PENDING_ROTATION); a multi-Region primary rotates its replicas with it, and a
 * replica cannot be rotated itself. Errors: NotFoundException, DisabledException,
 * KMSInvalidStateException (also: no material pending rotation), UnsupportedOperationException,
 * LimitExceededException, ConflictException (automatic rotation due within 20 minutes).
 */
import type { RotateKeyOnDemandRequest, RotateKeyOnDemandResponse } from '@aws-sdk/client-kms';
import { ConflictException, LimitExceededException } from '../../errors/kms-errors.ts';
import { rotateImported } from '../../services/import-material.ts';
import { rotate } from '../../services/lifecycle.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { requireNotReplica, requireRotatable } from './rotation-rules.ts';

export const MAX_ON_DEMAND_ROTATIONS = 25;
const CONFLICT_WINDOW_MS = 20 * 60_000;

export const rotateKeyOnDemand = defineOperation<RotateKeyOnDemandRequest, RotateKeyOnDemandResponse>('RotateKeyOnDemand', async (input, ctx) => {
  const key = await keyFor(ctx, 'RotateKeyOnDemand', input.KeyId as string, false);
  requireRotatable(key, { imported: true });
  requireNotReplica(key);
  if (key.onDemandRotations >= MAX_ON_DEMAND_ROTATIONS) {
    throw new LimitExceededException(`The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${key.arn}`);
  }
  if (key.origin === 'EXTERNAL') {
    await rotateImported(ctx.keyring, key);
    return { KeyId: key.arn };
  }
  const due = key.rotation.enabled ? key.rotation.nextRotationDate : undefined;
  if (due !== undefined && due - ctx.clock.now() < CONFLICT_WINDOW_MS) {
    throw new ConflictException(`An automatic rotation of ${key.arn} is scheduled to begin within the next 20 minutes.`);
  }
  await rotate(ctx.keyring, key.arn, 'ON_DEMAND');
  return { KeyId: key.arn };
});
