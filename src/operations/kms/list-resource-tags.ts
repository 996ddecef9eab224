/**
 * ListResourceTags (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListResourceTags.html).
 * Limit 1..50, default 50. Errors: NotFoundException, InvalidMarkerException, ValidationException.
 */
import type { ListResourceTagsRequest, ListResourceTagsResponse } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { checkLimit, decodeMarker, keyFor, page } from './common.ts';

export const listResourceTags = defineOperation<ListResourceTagsRequest, ListResourceTagsResponse>('ListResourceTags', async (input, ctx) => {
  const limit = checkLimit(input.Limit, 50, 50);
  const key = await keyFor(ctx, 'ListResourceTags', input.KeyId as string, false);
  const after = decodeMarker(input.Marker);
  const sorted = [...key.tags].sort((a, b) => ((a.TagKey ?? '') < (b.TagKey ?? '') ? -1 : 1));
  const rest = after === undefined ? sorted : sorted.filter((t) => (t.TagKey ?? '') > after);
  const p = page(rest.slice(0, limit + 1), limit, (t) => t.TagKey ?? '');
  return { Tags: p.items, Truncated: p.Truncated, ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}) };
});
