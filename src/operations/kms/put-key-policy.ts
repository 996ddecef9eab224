/**
 * PutKeyPolicy (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html).
 * Errors: NotFoundException, MalformedPolicyDocumentException, LimitExceededException (32 KB).
 * Difference from AWS: the lockout safety check arrives with policy enforcement.
 */
import type { PutKeyPolicyRequest } from '@aws-sdk/client-kms';
import { validatePolicyDocument } from '../../policy/document.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { checkPolicyName } from './key-policy-rules.ts';

export const putKeyPolicy = defineOperation<PutKeyPolicyRequest, undefined>('PutKeyPolicy', (input, ctx) => {
  checkPolicyName(input.PolicyName);
  const key = keyFor(ctx, 'PutKeyPolicy', input.KeyId as string, false);
  const policy = input.Policy as string;
  validatePolicyDocument(policy);
  ctx.keyring.update(key.arn, (k) => ({ ...k, policy }));
  return undefined;
});
