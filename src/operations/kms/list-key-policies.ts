/**
 * ListKeyPolicies (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeyPolicies.html).
 * Always ["default"]. Errors: NotFoundException.
 */
import type { ListKeyPoliciesRequest, ListKeyPoliciesResponse } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { checkLimit, decodeMarker, keyFor } from './common.ts';

export const listKeyPolicies = defineOperation<ListKeyPoliciesRequest, ListKeyPoliciesResponse>('ListKeyPolicies', async (input, ctx) => {
  checkLimit(input.Limit, 1000, 100);
  decodeMarker(input.Marker);
  await keyFor(ctx, 'ListKeyPolicies', input.KeyId as string, false);
  return { PolicyNames: ['default'], Truncated: false };
});
