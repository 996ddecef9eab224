/**
 * CancelKeyDeletion (https://docs.aws.amazon.com/kms/latest/APIReference/API_CancelKeyDeletion.html).
 * The key returns Disabled. Errors: NotFoundException, KMSInvalidStateException.
 */
import type { CancelKeyDeletionRequest, CancelKeyDeletionResponse } from '@aws-sdk/client-kms';
import type { KeyRecord } from '../../domain/key.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const cancelKeyDeletion = defineOperation<CancelKeyDeletionRequest, CancelKeyDeletionResponse>('CancelKeyDeletion', async (input, ctx) => {
  const key = await keyFor(ctx, 'CancelKeyDeletion', input.KeyId as string, false);
  await ctx.keyring.update(key.arn, ({ deletionDate: _d, pendingWindowInDays: _p, ...rest }): KeyRecord => ({ ...rest, state: 'Disabled' }));
  return { KeyId: key.arn };
});
