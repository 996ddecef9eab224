/**
 * CreateAlias (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html).
 * TargetKeyId takes a key id or key ARN. Errors: AlreadyExistsException, NotFoundException,
 * InvalidAliasNameException, LimitExceededException (50 per key), KMSInvalidStateException,
 * NotAuthorizedException (a name under the reserved alias/aws/ prefix).
 */
import type { CreateAliasRequest } from '@aws-sdk/client-kms';
import { AlreadyExistsException, LimitExceededException } from '../../errors/kms-errors.ts';
import { aliasArn } from '../../core/arn.ts';
import { defineOperation } from '../context.ts';
import { checkAliasName, MAX_ALIASES_PER_KEY } from './alias-rules.ts';
import { keyFor } from './common.ts';

export const createAlias = defineOperation<CreateAliasRequest, undefined>('CreateAlias', async (input, ctx) => {
  const name = input.AliasName as string;
  checkAliasName(name);
  await ctx.authorizeAccount('kms:CreateAlias', aliasArn(ctx.scope, name));
  const key = await keyFor(ctx, 'CreateAlias', input.TargetKeyId as string, false);
  const { accountId, region } = ctx.scope;
  if (await ctx.keyring.getAlias(accountId, region, name)) {
    throw new AlreadyExistsException(`An alias with the name ${aliasArn(ctx.scope, name)} already exists`);
  }
  if (await ctx.keyring.countAliases(key.arn) >= MAX_ALIASES_PER_KEY) {
    throw new LimitExceededException(`The key ${key.arn} already has ${MAX_ALIASES_PER_KEY} aliases.`);
  }
  const now = ctx.clock.now();
  ctx.keyring.putAlias({ accountId, region, name, targetKeyArn: key.arn, creationDate: now, lastUpdatedDate: now }, 'absent');
  return undefined;
});
