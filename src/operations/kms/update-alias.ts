/**
 * UpdateAlias (https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateAlias.html).
 * The new key must have the same key usage and spec family as the current one.
 * Errors: NotFoundException, KMSInvalidStateException (new key pending deletion),
 * LimitExceededException, ValidationException (different key type), NotAuthorizedException (alias/aws/...).
 */
import type { UpdateAliasRequest } from '@aws-sdk/client-kms';
import { ValidationException } from '../../errors/common-errors.ts';
import { LimitExceededException } from '../../errors/kms-errors.ts';
import { aliasArn } from '../../core/arn.ts';
import { capabilitiesOf } from '../../domain/key-specs.ts';
import { defineOperation } from '../context.ts';
import { checkAliasName, existingAlias, MAX_ALIASES_PER_KEY } from './alias-rules.ts';
import { keyFor } from './common.ts';


export const updateAlias = defineOperation<UpdateAliasRequest, undefined>('UpdateAlias', async (input, ctx) => {
  const name = input.AliasName as string;
  checkAliasName(name);
  await ctx.authorizeAccount('kms:UpdateAlias', aliasArn(ctx.scope, name));
  const alias = await existingAlias(ctx, name);
  const current = await ctx.keyring.get(alias.targetKeyArn);
  if (current) await ctx.authorizeKey({ action: 'kms:UpdateAlias', key: current });
  const target = await keyFor(ctx, 'UpdateAlias', input.TargetKeyId as string, false);
  if (current && (current.keyUsage !== target.keyUsage || capabilitiesOf(current.keySpec).keyType !== capabilitiesOf(target.keySpec).keyType)) {
    throw new ValidationException(`${target.arn} is not the same key type and key usage as the key the alias currently names.`);
  }
  if (target.arn !== alias.targetKeyArn && await ctx.keyring.repo.countAliases(target.arn) >= MAX_ALIASES_PER_KEY) {
    throw new LimitExceededException(`The key ${target.arn} already has ${MAX_ALIASES_PER_KEY} aliases.`);
  }
  ctx.keyring.putAlias({ ...alias, targetKeyArn: target.arn, lastUpdatedDate: ctx.clock.now() }, 'present');
  return undefined;
});
