/**
 * DisableKeyRotation (https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKeyRotation.html).
 * Errors: NotFoundException, DisabledException, KMSInvalidStateException, UnsupportedOperationException.
 */
import type { DisableKeyRotationRequest } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { requireRotatable } from './rotation-rules.ts';

export const disableKeyRotation = defineOperation<DisableKeyRotationRequest, undefined>('DisableKeyRotation', (input, ctx) => {
  const key = keyFor(ctx, 'DisableKeyRotation', input.KeyId as string, false);
  requireRotatable(key);
  ctx.keyring.update(key.arn, (k) => ({ ...k, rotation: { enabled: false, periodDays: k.rotation.periodDays } }));
  return undefined;
});
