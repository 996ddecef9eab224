/**
 * PutKeyPolicy (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html).
 * Errors: NotFoundException, MalformedPolicyDocumentException, LimitExceededException (32 KB).
 */
import type { PutKeyPolicyRequest } from '@aws-sdk/client-kms';
import { validatePolicyDocument } from '../../policy/document.ts';
import { defineMutation } from '../context.ts';
import { keyFor } from './common.ts';
import { checkPolicyName } from './key-policy-rules.ts';

export const putKeyPolicy = defineMutation<PutKeyPolicyRequest, undefined>('PutKeyPolicy', (input, ctx) => {
  checkPolicyName(input.PolicyName);
  const bypass = input.BypassPolicyLockoutSafetyCheck === true;
  const key = keyFor(ctx, 'PutKeyPolicy', input.KeyId as string, false, { conditions: { 'kms:BypassPolicyLockoutSafetyCheck': bypass } });
  const policy = input.Policy as string;
  validatePolicyDocument(policy);
  if (!bypass) ctx.checkLockout(policy, key.arn);
  ctx.keyring.update(key.arn, (k) => ({ ...k, policy }));
  return undefined;
});
