/**
 * GetKeyRotationStatus (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyRotationStatus.html).
 * A key pending deletion (or pending replica deletion) reports rotation disabled (and gets it back
 * on cancel).
 * Errors: NotFoundException, KMSInvalidStateException, UnsupportedOperationException.
 */
import type { GetKeyRotationStatusRequest, GetKeyRotationStatusResponse } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { requireRotatable } from './rotation-rules.ts';

export const getKeyRotationStatus = defineOperation<GetKeyRotationStatusRequest, GetKeyRotationStatusResponse>('GetKeyRotationStatus', async (input, ctx) => {
  const key = await keyFor(ctx, 'GetKeyRotationStatus', input.KeyId as string, false);
  requireRotatable(key);
  const enabled = key.rotation.enabled && key.state !== 'PendingDeletion' && key.state !== 'PendingReplicaDeletion';
  if (!enabled) return { KeyId: key.arn, KeyRotationEnabled: false };
  return {
    KeyId: key.arn,
    KeyRotationEnabled: true,
    RotationPeriodInDays: key.rotation.periodDays,
    ...(key.rotation.nextRotationDate !== undefined ? { NextRotationDate: new Date(key.rotation.nextRotationDate) } : {}),
  };
});
