/**
 * DisableKeyRotation (https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKeyRotation.html).
 * A multi-Region key's setting is its primary's, shared with its replicas.
 * Errors: NotFoundException, DisabledException, KMSInvalidStateException, UnsupportedOperationException.
 */
import type { DisableKeyRotationRequest } from '@aws-sdk/client-kms';
import { updateWithReplicas } from '../../services/multi-region.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { requireNotReplica, requireRotatable } from './rotation-rules.ts';

export const disableKeyRotation = defineOperation<DisableKeyRotationRequest, undefined>('DisableKeyRotation', async (input, ctx) => {
  const key = await keyFor(ctx, 'DisableKeyRotation', input.KeyId as string, false);
  requireRotatable(key);
  requireNotReplica(key);
  await updateWithReplicas(ctx.keyring, key.arn, (k) => ({ ...k, rotation: { enabled: false, periodDays: k.rotation.periodDays } }));
  return undefined;
});
