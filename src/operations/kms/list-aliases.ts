/**
 * ListAliases (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListAliases.html).
 * Optional KeyId (key id or ARN) filter; Limit 1..100, default 50.
 * Errors: InvalidMarkerException, NotFoundException, ValidationException.
 */
import type { ListAliasesRequest, ListAliasesResponse } from '@aws-sdk/client-kms';
import { aliasArn, parseKmsArn } from '../../core/arn.ts';
import { defineOperation } from '../context.ts';
import { checkLimit, decodeMarker, page } from './common.ts';

export const listAliases = defineOperation<ListAliasesRequest, ListAliasesResponse>('ListAliases', async (input, ctx) => {
  const limit = checkLimit(input.Limit, 100, 50);
  await ctx.authorizeAccount('kms:ListAliases', '*');
  const target = input.KeyId === undefined ? undefined : (await ctx.keyring.resolve(ctx.scope, input.KeyId, { aliases: false })).arn;
  const rows = await ctx.keyring.repo.listAliases(ctx.scope.accountId, ctx.scope.region, target, decodeMarker(input.Marker), limit + 1);
  const p = page(rows, limit, (a) => a.name);
  return {
    Aliases: p.items.map((a) => ({
      AliasName: a.name,
      AliasArn: aliasArn(ctx.scope, a.name),
      TargetKeyId: parseKmsArn(a.targetKeyArn)?.resource ?? a.targetKeyArn,
      CreationDate: new Date(a.creationDate),
      LastUpdatedDate: new Date(a.lastUpdatedDate),
    })),
    Truncated: p.Truncated,
    ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}),
  };
});
