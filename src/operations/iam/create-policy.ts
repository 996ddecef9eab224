/** CreatePolicy: a customer managed policy (ANPA… id) with one version, v1, its default. */
import { newUniqueId, type ManagedPolicyRecord, type Tag } from '../../domain/identity.ts';
import { EntityAlreadyExistsError, InvalidInputError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { checkTagKeysUnique, DEFAULT_PATH, MAX_TAGS, policyArnFor, policyOutput } from './common.ts';
import { checkPolicySize, policySize, validatePolicyDocument } from './policy-documents.ts';

/** IAM's quota on a managed policy document (characters without whitespace). */
export const MAX_MANAGED_POLICY_SIZE = 6144;

interface Input { PolicyName: string; PolicyDocument: string; Path?: string; Description?: string; Tags?: Tag[] }

export const createPolicy = defineQueryOperation('iam', 'CreatePolicy', async (input: Input, ctx) => {
  const account = ctx.caller.accountId;
  const path = input.Path ?? DEFAULT_PATH;
  const arn = policyArnFor(ctx, path, input.PolicyName);
  await ctx.authorize('iam:CreatePolicy', arn);
  const tags = input.Tags ?? [];
  checkTagKeysUnique(tags);
  if (tags.length > MAX_TAGS) throw new InvalidInputError(`The number of tags exceeds the maximum of ${MAX_TAGS}.`);
  checkPolicySize(policySize(input.PolicyDocument), MAX_MANAGED_POLICY_SIZE, `policy ${input.PolicyName}`);
  validatePolicyDocument(input.PolicyDocument, 'identity');
  if (await ctx.identities.getManagedPolicyByName(account, input.PolicyName)) {
    throw new EntityAlreadyExistsError(`A policy called ${input.PolicyName} already exists. Duplicate names are not allowed.`);
  }
  const now = ctx.clock.now();
  const policy: ManagedPolicyRecord = {
    accountId: account, policyId: newUniqueId('ANPA'), name: input.PolicyName, path, arn, document: input.PolicyDocument,
    defaultVersionId: 'v1', ...(input.Description !== undefined ? { description: input.Description } : {}),
    createDate: now, updateDate: now, tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })),
  };
  ctx.identities.putManagedPolicy(policy);
  return { Policy: policyOutput(policy, 0, true) };
});
