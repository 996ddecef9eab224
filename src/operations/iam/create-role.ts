/** CreateRole: a role (AROA… id) with its trust policy, MaxSessionDuration (default 3600 s) and tags. */
import { newUniqueId, roleArn, type RoleRecord, type Tag } from '../../domain/identity.ts';
import { EntityAlreadyExistsError, InvalidInputError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { checkTagKeysUnique, DEFAULT_PATH, MAX_TAGS, roleOutput } from './common.ts';
import { checkPolicySize, policySize, validatePolicyDocument } from './policy-documents.ts';

export const DEFAULT_MAX_SESSION_DURATION = 3600;
/** IAM's quota on a role trust policy. */
export const MAX_TRUST_POLICY_SIZE = 2048;

interface Input {
  RoleName: string; AssumeRolePolicyDocument: string; Path?: string; Description?: string; MaxSessionDuration?: number;
  PermissionsBoundary?: string; Tags?: Tag[];
}

export const createRole = defineQueryOperation('iam', 'CreateRole', async (input: Input, ctx) => {
  const account = ctx.caller.accountId;
  const path = input.Path ?? DEFAULT_PATH;
  const arn = roleArn(account, path, input.RoleName);
  await ctx.authorize('iam:CreateRole', arn);
  if (input.PermissionsBoundary !== undefined) throw new InvalidInputError('Coffer does not support permissions boundaries.');
  const tags = input.Tags ?? [];
  checkTagKeysUnique(tags);
  if (tags.length > MAX_TAGS) throw new InvalidInputError(`The number of tags exceeds the maximum of ${MAX_TAGS}.`);
  checkPolicySize(policySize(input.AssumeRolePolicyDocument), MAX_TRUST_POLICY_SIZE, `role ${input.RoleName}`);
  validatePolicyDocument(input.AssumeRolePolicyDocument, 'trust');
  if (await ctx.identities.getRole(account, input.RoleName)) throw new EntityAlreadyExistsError(`Role with name ${input.RoleName} already exists.`);
  const role: RoleRecord = {
    accountId: account, roleId: newUniqueId('AROA'), name: input.RoleName, path, arn, createDate: ctx.clock.now(),
    trustPolicy: input.AssumeRolePolicyDocument,
    ...(input.Description !== undefined ? { description: input.Description } : {}),
    maxSessionDuration: input.MaxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION,
    tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })),
  };
  ctx.identities.putRole(role);
  return { Role: roleOutput(role, true) };
});
