/**
 * DeleteAlias (https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteAlias.html).
 * Errors: NotFoundException. Allowed in every key state.
 */
import type { DeleteAliasRequest } from '@aws-sdk/client-kms';
import { aliasArn } from '../../core/arn.ts';
import { defineMutation } from '../context.ts';
import { checkAliasName, existingAlias } from './alias-rules.ts';

export const deleteAlias = defineMutation<DeleteAliasRequest, undefined>('DeleteAlias', (input, ctx) => {
  const name = input.AliasName as string;
  checkAliasName(name, false);
  ctx.authorizeAccount('kms:DeleteAlias', aliasArn(ctx.scope, name));
  const alias = existingAlias(ctx, name);
  const key = ctx.keyring.get(alias.targetKeyArn);
  if (key) ctx.authorizeKey({ action: 'kms:DeleteAlias', key });
  ctx.keyring.deleteAlias(ctx.scope.accountId, ctx.scope.region, name);
  return undefined;
});
