/**
 * TagResource (https://docs.aws.amazon.com/kms/latest/APIReference/API_TagResource.html).
 * An existing tag key gets the new value. Errors: NotFoundException, KMSInvalidStateException,
 * TagException (aws: prefix, duplicates, more than 50 tags on the key).
 */
import type { Tag, TagResourceRequest } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { checkTags, keyFor, requestTagConditions } from './common.ts';

export const tagResource = defineOperation<TagResourceRequest, undefined>('TagResource', async (input, ctx) => {
  const incoming = input.Tags ?? [];
  checkTags(incoming);
  const key = await keyFor(ctx, 'TagResource', input.KeyId as string, false, { conditions: requestTagConditions(incoming) });
  await ctx.keyring.update(key.arn, (k) => {
    const merged = new Map<string, string>(k.tags.map((t) => [t.TagKey ?? '', t.TagValue ?? '']));
    for (const t of incoming) merged.set(t.TagKey ?? '', t.TagValue ?? '');
    const tags: Tag[] = [...merged].map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
    checkTags(tags);
    return { ...k, tags };
  });
  return undefined;
});
