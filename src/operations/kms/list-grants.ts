/**
 * ListGrants (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListGrants.html).
 * Filters GrantId and GranteePrincipal; Limit 1..100, default 50. Tokens are never listed.
 * Errors: NotFoundException, InvalidMarkerException, InvalidGrantIdException (malformed id), AccessDeniedException.
 */
import type { ListGrantsRequest, ListGrantsResponse } from '@aws-sdk/client-kms';
import { InvalidGrantIdException } from '../../errors/kms-errors.ts';
import { defineOperation } from '../context.ts';
import { checkLimit, decodeMarker, keyFor, page } from './common.ts';
import { grantListEntry } from './grant-rules.ts';

export const listGrants = defineOperation<ListGrantsRequest, ListGrantsResponse>('ListGrants', async (input, ctx) => {
  const limit = checkLimit(input.Limit, 100, 50);
  if (input.GrantId !== undefined && !/^[0-9a-f]{64}$/.test(input.GrantId)) throw new InvalidGrantIdException(`Invalid grant id ${input.GrantId}.`);
  const key = await keyFor(ctx, 'ListGrants', input.KeyId as string, false);
  const after = decodeMarker(input.Marker);
  const matching = (await ctx.keyring.grantsOf(key.arn)).filter((g) =>
    (after === undefined || g.grantId > after)
    && (input.GrantId === undefined || g.grantId === input.GrantId)
    && (input.GranteePrincipal === undefined || g.granteePrincipal === input.GranteePrincipal));
  const p = page(matching.slice(0, limit + 1), limit, (g) => g.grantId);
  return { Grants: p.items.map(grantListEntry), Truncated: p.Truncated, ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}) };
});
