/**
 * DisableKey (https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKey.html).
 * Errors: NotFoundException, KMSInvalidStateException (key-state table).
 */
import type { DisableKeyRequest } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const disableKey = defineOperation<DisableKeyRequest, undefined>('DisableKey', async (input, ctx) => {
  const key = await keyFor(ctx, 'DisableKey', input.KeyId as string, false);
  if (key.state !== 'Disabled') await ctx.keyring.update(key.arn, (k) => ({ ...k, state: 'Disabled' }));
  return undefined;
});
