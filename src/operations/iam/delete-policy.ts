/** DeletePolicy: only a policy attached to nothing, as in IAM. */
import { DeleteConflictError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { requirePolicy } from './common.ts';

interface Input { PolicyArn: string }

export const deletePolicy = defineQueryOperation('iam', 'DeletePolicy', async (input: Input, ctx) => {
  const repo = ctx.identities;
  const p = await requirePolicy(ctx, input.PolicyArn, 'DeletePolicy');
  if ((await repo.countAttachments(p.arn)) > 0) throw new DeleteConflictError('Cannot delete a policy attached to entities.');
  repo.deleteManagedPolicy(p.arn);
  return undefined;
});
