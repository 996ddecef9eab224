/**
 * DeleteAlias (https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteAlias.html).
 * Errors: NotFoundException, NotAuthorizedException (alias/aws/...). Allowed in every key state.
 */
import type { DeleteAliasRequest } from '@aws-sdk/client-kms';
import { aliasArn } from '../../core/arn.ts';
import { defineOperation } from '../context.ts';
import { checkAliasName, existingAlias } from './alias-rules.ts';

export const deleteAlias = defineOperation<DeleteAliasRequest, undefined>('DeleteAlias', async (input, ctx) => {
  const name = input.AliasName as string;
  checkAliasName(name);
  await ctx.authorizeAccount('kms:DeleteAlias', aliasArn(ctx.scope, name));
  const alias = await existingAlias(ctx, name);
  const key = await ctx.keyring.get(alias.targetKeyArn);
  if (key) await ctx.authorizeKey({ action: 'kms:DeleteAlias', key });
  ctx.keyring.deleteAlias(ctx.scope.accountId, ctx.scope.region, name);
  return undefined;
});
