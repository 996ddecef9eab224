/** GetPolicyVersion: the document of a version (Coffer keeps one, v1, the default). */
import { NoSuchEntityError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { requirePolicy } from './common.ts';

interface Input { PolicyArn: string; VersionId: string }

export const getPolicyVersion = defineQueryOperation('iam', 'GetPolicyVersion', async (input: Input, ctx) => {
  const p = await requirePolicy(ctx, input.PolicyArn, 'GetPolicyVersion');
  if (input.VersionId !== p.defaultVersionId) throw new NoSuchEntityError(`Policy ${p.arn} version ${input.VersionId} does not exist or is not attachable.`);
  return { PolicyVersion: { Document: p.document, VersionId: p.defaultVersionId, IsDefaultVersion: true, CreateDate: p.createDate } };
});
