/**
 * ListAliases (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListAliases.html).
 * Optional KeyId (key id or ARN) filter; Limit 1..100, default 50. Without KeyId, AWS's predefined
 * `alias/aws/*` aliases are listed too, without TargetKeyId until their AWS managed key exists.
 * Errors: InvalidMarkerException, NotFoundException, ValidationException.
 */
import type { ListAliasesRequest, ListAliasesResponse } from '@aws-sdk/client-kms';
import { aliasArn, parseKmsArn } from '../../core/arn.ts';
import { defineOperation, type OperationContext } from '../context.ts';
import { PREDEFINED_AWS_ALIASES } from '../../domain/aws-managed-keys.ts';
import type { AliasRecord } from '../../ports/key-repository.ts';
import { checkLimit, decodeMarker, page } from './common.ts';

type Listed = AliasRecord | { readonly name: string; readonly targetKeyArn?: undefined };

/**
 * The stored aliases of a page merged, in name order, with AWS's predefined aliases whose AWS
 * managed key does not exist yet (listed without a TargetKeyId, as AWS lists them).
 */
async function withPredefined(ctx: OperationContext, stored: readonly AliasRecord[], after: string | undefined, want: number): Promise<Listed[]> {
  const missing: Listed[] = [];
  for (const name of PREDEFINED_AWS_ALIASES) {
    if (after !== undefined && name <= after) continue;
    if (stored.some((a) => a.name === name) || await ctx.keyring.getAlias(ctx.scope.accountId, ctx.scope.region, name) !== undefined) continue;
    missing.push({ name });
  }
  if (missing.length === 0) return [...stored];
  return [...stored, ...missing].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, want);
}

export const listAliases = defineOperation<ListAliasesRequest, ListAliasesResponse>('ListAliases', async (input, ctx) => {
  const limit = checkLimit(input.Limit, 100, 50);
  await ctx.authorizeAccount('kms:ListAliases', '*');
  const target = input.KeyId === undefined ? undefined : (await ctx.keyring.resolve(ctx.scope, input.KeyId, { aliases: false })).arn;
  const after = decodeMarker(input.Marker);
  const { accountId, region } = ctx.scope;
  const stored = await ctx.keyring.repo.listAliases(accountId, region, target, after, limit + 1);
  const rows = target === undefined ? await withPredefined(ctx, stored, after, limit + 1) : stored;
  const p = page(rows, limit, (a) => a.name);
  return {
    Aliases: p.items.map((a) => (a.targetKeyArn === undefined ? { AliasName: a.name, AliasArn: aliasArn(ctx.scope, a.name) } : {
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
