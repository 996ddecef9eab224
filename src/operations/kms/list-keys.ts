/**
 * ListKeys (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeys.html): every key of
 * the caller's account and region, in any state. Limit 1..1000, default 100. Errors: InvalidMarkerException.
 */
import type { ListKeysRequest, ListKeysResponse } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { checkLimit, decodeMarker, page } from './common.ts';

export const listKeys = defineOperation<ListKeysRequest, ListKeysResponse>('ListKeys', async (input, ctx) => {
  const limit = checkLimit(input.Limit, 1000, 100);
  await ctx.authorizeAccount('kms:ListKeys', '*');
  const rows = await ctx.keyring.repo.listKeys(ctx.scope.accountId, ctx.scope.region, decodeMarker(input.Marker), limit + 1);
  const p = page(rows, limit, (k) => k.arn);
  return {
    Keys: p.items.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
    Truncated: p.Truncated,
    ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}),
  };
});
