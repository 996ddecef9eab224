/**
 * EnableKeyRotation (https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html).
 * RotationPeriodInDays 90..2560, default 365. First rotation one period after enabling; calling
 * again with another period re-plans from the last rotation (or creation). A multi-Region key's
 * setting is its primary's, shared with its replicas.
 * Errors: NotFoundException, DisabledException, KMSInvalidStateException, UnsupportedOperationException.
 */
import type { EnableKeyRotationRequest } from '@aws-sdk/client-kms';
import { DAY_MS } from '../../core/clock.ts';
import { DEFAULT_ROTATION_PERIOD_DAYS } from '../../domain/key.ts';
import { updateWithReplicas } from '../../services/multi-region.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { requireNotReplica, requireRotatable } from './rotation-rules.ts';

export const enableKeyRotation = defineOperation<EnableKeyRotationRequest, undefined>('EnableKeyRotation', async (input, ctx) => {
  const periodDays = input.RotationPeriodInDays ?? DEFAULT_ROTATION_PERIOD_DAYS;
  const key = await keyFor(ctx, 'EnableKeyRotation', input.KeyId as string, false, { conditions: { 'kms:RotationPeriodInDays': periodDays } });
  requireRotatable(key);
  requireNotReplica(key);
  const now = ctx.clock.now();
  const lastRotation = Math.max(...(await ctx.keyring.materialsOf(key.arn)).map((m) => m.createdAt), key.creationDate);
  await updateWithReplicas(ctx.keyring, key.arn, (k) => ({
    ...k,
    rotation: {
      enabled: true,
      periodDays,
      nextRotationDate: k.rotation.enabled ? Math.max(now, lastRotation + periodDays * DAY_MS) : now + periodDays * DAY_MS,
    },
  }));
  return undefined;
});
