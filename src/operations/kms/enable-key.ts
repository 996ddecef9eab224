/**
 * EnableKey (https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKey.html).
 * Errors: NotFoundException, KMSInvalidStateException (key-state table). A key whose automatic
 * rotation fell due while it was disabled is rotated by the next scheduler run.
 */
import type { EnableKeyRequest } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const enableKey = defineOperation<EnableKeyRequest, undefined>('EnableKey', async (input, ctx) => {
  const key = await keyFor(ctx, 'EnableKey', input.KeyId as string, false);
  if (key.state !== 'Enabled') await ctx.keyring.update(key.arn, (k) => ({ ...k, state: 'Enabled' }));
  return undefined;
});
