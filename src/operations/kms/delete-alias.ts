/**
 * DeleteAlias (https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteAlias.html).
 * Errors: NotFoundException. Allowed in every key state.
 */
import type { DeleteAliasRequest } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { checkAliasName, existingAlias } from './alias-rules.ts';

export const deleteAlias = defineOperation<DeleteAliasRequest, undefined>('DeleteAlias', (input, ctx) => {
  const name = input.AliasName as string;
  checkAliasName(name, false);
  existingAlias(ctx, name);
  ctx.keyring.deleteAlias(ctx.scope.accountId, ctx.scope.region, name);
  return undefined;
});
