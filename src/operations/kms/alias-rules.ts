/** Rules shared by the alias operations (reference §3.12). */
import { NotAuthorizedException, ValidationException } from '../../errors/common-errors.ts';
import { InvalidAliasNameException, NotFoundException } from '../../errors/kms-errors.ts';
import { aliasArn } from '../../core/arn.ts';
import type { AliasRecord } from '../../ports/key-repository.ts';
import type { OperationContext } from '../context.ts';

export const MAX_ALIASES_PER_KEY = 50;

/**
 * The name of an alias to create, update or delete: `alias/` and something after it, and not under
 * `alias/aws/`, which AWS keeps for its AWS managed keys (NotAuthorizedException, without a
 * message, as KMS answers it to each of the three).
 */
export function checkAliasName(name: string): void {
  if (!name.startsWith('alias/')) {
    throw new ValidationException('Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
  }
  if (name === 'alias/') throw new InvalidAliasNameException('Alias name must not be empty after "alias/".');
  if (name.startsWith('alias/aws/')) throw new NotAuthorizedException();
}

export async function existingAlias(ctx: OperationContext, name: string): Promise<AliasRecord> {
  const a = await ctx.keyring.getAlias(ctx.scope.accountId, ctx.scope.region, name);
  if (!a) throw new NotFoundException(`Alias ${aliasArn(ctx.scope, name)} is not found.`);
  return a;
}
