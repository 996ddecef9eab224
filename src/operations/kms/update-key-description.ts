/**
 * UpdateKeyDescription (https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateKeyDescription.html).
 * Errors: NotFoundException, KMSInvalidStateException.
 */
import type { UpdateKeyDescriptionRequest } from '@aws-sdk/client-kms';
import { defineMutation } from '../context.ts';
import { keyFor } from './common.ts';

export const updateKeyDescription = defineMutation<UpdateKeyDescriptionRequest, undefined>('UpdateKeyDescription', (input, ctx) => {
  const key = keyFor(ctx, 'UpdateKeyDescription', input.KeyId as string, false);
  ctx.keyring.update(key.arn, (k) => ({ ...k, description: input.Description ?? '' }));
  return undefined;
});
