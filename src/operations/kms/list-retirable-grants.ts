/**
 * ListRetirableGrants (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListRetirableGrants.html):
 * grants, across keys, that a principal may retire. Authorized by IAM policy (kms:ListRetirableGrants).
 * Limit 1..100, default 50. Errors: InvalidMarkerException, InvalidArnException, AccessDeniedException.
 */
import type { ListRetirableGrantsRequest, ListGrantsResponse } from '@aws-sdk/client-kms';
import { ValidationException } from '../../errors/common-errors.ts';
import { defineOperation } from '../context.ts';
import { checkLimit, decodeMarker, page } from './common.ts';
import { checkPrincipalArn, grantListEntry } from './grant-rules.ts';

export const listRetirableGrants = defineOperation<ListRetirableGrantsRequest, ListGrantsResponse>('ListRetirableGrants', async (input, ctx) => {
  const limit = checkLimit(input.Limit, 100, 50);
  const principal = input.RetiringPrincipal;
  if (principal === undefined) {
    throw new ValidationException("1 validation error detected: Value null at 'retiringPrincipal' failed to satisfy constraint: Member must not be null");
  }
  checkPrincipalArn(principal, 'RetiringPrincipal');
  await ctx.authorizeAccount('kms:ListRetirableGrants', principal);
  const rows = await ctx.keyring.repo.listRetirableGrants(principal, decodeMarker(input.Marker), limit + 1);
  const p = page(rows, limit, (g) => g.grantId);
  return { Grants: p.items.map(grantListEntry), Truncated: p.Truncated, ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}) };
});
