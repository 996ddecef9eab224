/**
 * UpdateKeyDescription (https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateKeyDescription.html).
 * Errors: NotFoundException, KMSInvalidStateException.
 */
import type { UpdateKeyDescriptionRequest } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const updateKeyDescription = defineOperation<UpdateKeyDescriptionRequest, undefined>('UpdateKeyDescription', async (input, ctx) => {
  const key = await keyFor(ctx, 'UpdateKeyDescription', input.KeyId as string, false);
  await ctx.keyring.update(key.arn, (k) => ({ ...k, description: input.Description ?? '' }));
  return undefined;
});
