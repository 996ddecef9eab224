/** UpdateAssumeRolePolicy: replaces a role's trust policy. */
import { defineQueryOperation } from '../query-context.ts';
import { requireRole } from './common.ts';
import { MAX_TRUST_POLICY_SIZE } from './create-role.ts';
import { checkPolicySize, policySize, validatePolicyDocument } from './policy-documents.ts';

interface Input { RoleName: string; PolicyDocument: string }

export const updateAssumeRolePolicy = defineQueryOperation('iam', 'UpdateAssumeRolePolicy', async (input: Input, ctx) => {
  const repo = ctx.identities;
  const role = await requireRole(ctx, input.RoleName, 'UpdateAssumeRolePolicy');
  checkPolicySize(policySize(input.PolicyDocument), MAX_TRUST_POLICY_SIZE, `role ${role.name}`);
  validatePolicyDocument(input.PolicyDocument, 'trust');
  repo.putRole({ ...role, trustPolicy: input.PolicyDocument });
  return undefined;
});
