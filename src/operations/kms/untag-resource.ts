/**
 * UntagResource (https://docs.aws.amazon.com/kms/latest/APIReference/API_UntagResource.html).
 * Removing a tag key the key does not have is a silent no-op.
 * Errors: NotFoundException, KMSInvalidStateException, TagException.
 */
import type { UntagResourceRequest } from '@aws-sdk/client-kms';
import { TagException } from '../../errors/kms-errors.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const untagResource = defineOperation<UntagResourceRequest, undefined>('UntagResource', async (input, ctx) => {
  const remove = new Set(input.TagKeys ?? []);
  for (const k of remove) if (k.toLowerCase().startsWith('aws:')) throw new TagException('Tags beginning with aws: are reserved');
  const key = await keyFor(ctx, 'UntagResource', input.KeyId as string, false, { conditions: { 'aws:TagKeys': [...remove] } });
  await ctx.keyring.update(key.arn, (k) => ({ ...k, tags: k.tags.filter((t) => !remove.has(t.TagKey ?? '')) }));
  return undefined;
});
