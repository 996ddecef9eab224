/**
 * GetKeyPolicy (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html).
 * Returns the stored document verbatim. Errors: NotFoundException.
 */
import type { GetKeyPolicyRequest, GetKeyPolicyResponse } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { checkPolicyName } from './key-policy-rules.ts';

export const getKeyPolicy = defineOperation<GetKeyPolicyRequest, GetKeyPolicyResponse>('GetKeyPolicy', async (input, ctx) => {
  checkPolicyName(input.PolicyName);
  const key = await keyFor(ctx, 'GetKeyPolicy', input.KeyId as string, false);
  return { Policy: key.policy, PolicyName: 'default' };
});
