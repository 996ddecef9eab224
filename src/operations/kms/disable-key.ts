/**
 * DisableKey (https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKey.html).
 * Errors: NotFoundException, KMSInvalidStateException (key-state table).
 */
import type { DisableKeyRequest } from '@aws-sdk/client-kms';
import { defineMutation } from '../context.ts';
import { keyFor } from './common.ts';

export const disableKey = defineMutation<DisableKeyRequest, undefined>('DisableKey', (input, ctx) => {
  const key = keyFor(ctx, 'DisableKey', input.KeyId as string, false);
  if (key.state !== 'Disabled') ctx.keyring.update(key.arn, (k) => ({ ...k, state: 'Disabled' }));
  return undefined;
});
