/**
 * RevokeGrant (https://docs.aws.amazon.com/kms/latest/APIReference/API_RevokeGrant.html):
 * kms:RevokeGrant on the key, by key policy or IAM policy.
 * Errors: NotFoundException, InvalidGrantIdException, AccessDeniedException, DryRunOperationException.
 */
import type { RevokeGrantRequest } from '@aws-sdk/client-kms';
import { InvalidGrantIdException, NotFoundException } from '../../errors/kms-errors.ts';
import { defineOperation } from '../context.ts';
import { dryRunStop, keyFor } from './common.ts';

export const revokeGrant = defineOperation<RevokeGrantRequest, undefined>('RevokeGrant', async (input, ctx) => {
  const grantId = input.GrantId as string;
  if (!/^[0-9a-f]{64}$/.test(grantId)) throw new InvalidGrantIdException(`Invalid grant id ${grantId}.`);
  const key = await keyFor(ctx, 'RevokeGrant', input.KeyId as string, false);
  const grant = (await ctx.keyring.grantsOf(key.arn)).find((g) => g.grantId === grantId);
  if (!grant) throw new NotFoundException(`Grant ${grantId} does not exist on key ${key.arn}.`);
  dryRunStop(input.DryRun);
  ctx.keyring.deleteGrant(grant);
  return undefined;
});
