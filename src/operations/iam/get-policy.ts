/** GetPolicy: a customer managed policy's metadata (its document is GetPolicyVersion's). */
import { defineQueryOperation } from '../query-context.ts';
import { policyOutput, requirePolicy } from './common.ts';

interface Input { PolicyArn: string }

export const getPolicy = defineQueryOperation('iam', 'GetPolicy', (input: Input, ctx) => {
  const p = requirePolicy(ctx, input.PolicyArn, 'GetPolicy');
  return { Policy: policyOutput(p, ctx.identities.countAttachments(p.arn), true) };
});
