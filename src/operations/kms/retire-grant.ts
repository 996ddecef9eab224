/**
 * RetireGrant (https://docs.aws.amazon.com/kms/latest/APIReference/API_RetireGrant.html): by
 * GrantToken, or by KeyId (ARN) and GrantId. Who may retire is decided by the grant, not by
 * policy: its retiring principal, its grantee when it allows RetireGrant, or the account that
 * issued it. Errors: InvalidGrantTokenException, InvalidGrantIdException, NotFoundException,
 * AccessDeniedException, DryRunOperationException.
 */
import type { RetireGrantRequest } from '@aws-sdk/client-kms';
import { AccessDeniedException } from '../../errors/common-errors.ts';
import { InvalidGrantIdException, InvalidGrantTokenException, NotFoundException } from '../../errors/kms-errors.ts';
import { accountRootArn } from '../../core/arn.ts';
import { defineOperation } from '../context.ts';
import { dryRunStop } from './common.ts';
import { grantIdsOf } from './grant-rules.ts';

export const retireGrant = defineOperation<RetireGrantRequest, undefined>('RetireGrant', async (input, ctx) => {
  let grantId: string;
  if (input.GrantToken !== undefined) {
    grantId = grantIdsOf([input.GrantToken])[0] as string;
  } else if (input.KeyId !== undefined && input.GrantId !== undefined) {
    if (!/^[0-9a-f]{64}$/.test(input.GrantId)) throw new InvalidGrantIdException(`Invalid grant id ${input.GrantId}.`);
    grantId = input.GrantId;
  } else {
    throw new InvalidGrantTokenException('Grant token OR (grant ID, key ID) must be specified');
  }
  const grant = await ctx.keyring.repo.getGrant(grantId);
  if (input.KeyId !== undefined) {
    const key = await ctx.keyring.resolve(ctx.scope, input.KeyId, { aliases: false });
    if (grant && grant.keyArn !== key.arn) throw new NotFoundException(`Grant ${grantId} does not exist on key ${key.arn}.`);
  }
  if (!grant) throw new NotFoundException(`Grant ${grantId} does not exist.`);
  const me = [ctx.caller.arn, ...(ctx.caller.roleArn ? [ctx.caller.roleArn] : [])];
  const allowed = (grant.retiringPrincipal !== undefined && me.includes(grant.retiringPrincipal))
    || (me.includes(grant.granteePrincipal) && grant.operations.includes('RetireGrant'))
    || (ctx.caller.type === 'Root' && accountRootArn({ partition: ctx.scope.partition, accountId: ctx.caller.accountId }) === grant.issuingAccount);
  if (!allowed) {
    throw new AccessDeniedException(`User: ${ctx.caller.arn} is not authorized to perform: kms:RetireGrant on resource: ${grant.keyArn} because the grant does not name it as a retiring principal`);
  }
  dryRunStop(input.DryRun);
  ctx.keyring.deleteGrant(grant);
  return undefined;
});
