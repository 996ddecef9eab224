/** GetPolicy: a customer managed policy's metadata (its document is GetPolicyVersion's). */
import { defineQueryOperation } from '../query-context.ts';
import { policyOutput, requirePolicy } from './common.ts';

interface Input { PolicyArn: string }

export const getPolicy = defineQueryOperation('iam', 'GetPolicy', async (input: Input, ctx) => {
  const p = await requirePolicy(ctx, input.PolicyArn, 'GetPolicy');
  return { Policy: policyOutput(p, await ctx.identities.countAttachments(p.arn), true) };
});
