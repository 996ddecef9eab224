/** DeleteGroup: only an empty group without inline or attached policies, as in IAM. */
import { DeleteConflictError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { requirePrincipal } from './common.ts';

interface Input { GroupName: string }

export const deleteGroup = defineQueryOperation('iam', 'DeleteGroup', async (input: Input, ctx) => {
  const repo = ctx.identities;
  const group = await requirePrincipal(ctx, 'group', input.GroupName, 'DeleteGroup');
  if ((await repo.listGroupMembers(group.id)).length > 0) throw new DeleteConflictError('Cannot delete entity, must remove users from group first.');
  if ((await repo.listInlinePolicies(group.id)).length > 0) throw new DeleteConflictError('Cannot delete entity, must delete policies first.');
  if ((await repo.listAttachedPolicies(group.id)).length > 0) throw new DeleteConflictError('Cannot delete entity, must detach all policies first.');
  repo.deleteGroup(group.id);
  return undefined;
});
