/**
 * PutKeyPolicy (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html).
 * Errors: NotFoundException, MalformedPolicyDocumentException, LimitExceededException (32 KB).
 */
import type { PutKeyPolicyRequest } from '@aws-sdk/client-kms';
import { validatePolicyDocument } from '../../policy/document.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { checkPolicyName } from './key-policy-rules.ts';

export const putKeyPolicy = defineOperation<PutKeyPolicyRequest, undefined>('PutKeyPolicy', async (input, ctx) => {
  checkPolicyName(input.PolicyName);
  const bypass = input.BypassPolicyLockoutSafetyCheck === true;
  const key = await keyFor(ctx, 'PutKeyPolicy', input.KeyId as string, false, { conditions: { 'kms:BypassPolicyLockoutSafetyCheck': bypass } });
  const policy = input.Policy as string;
  validatePolicyDocument(policy);
  if (!bypass) await ctx.checkLockout(policy, key.arn);
  await ctx.keyring.update(key.arn, (k) => ({ ...k, policy }));
  return undefined;
});
