/** DeleteUser: only a user with no access keys, inline or attached policies and group memberships, as in IAM. */
import { DeleteConflictError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { requireUser } from './common.ts';

interface Input { UserName: string }

export const deleteUser = defineQueryOperation('iam', 'DeleteUser', async (input: Input, ctx) => {
  const repo = ctx.identities;
  const user = await requireUser(ctx, input.UserName, 'DeleteUser');
  if ((await repo.listAccessKeys(user.accountId, user.userId)).length > 0) throw new DeleteConflictError('Cannot delete entity, must delete access keys first.');
  if ((await repo.listInlinePolicies(user.userId)).length > 0) throw new DeleteConflictError('Cannot delete entity, must delete policies first.');
  if ((await repo.listAttachedPolicies(user.userId)).length > 0) throw new DeleteConflictError('Cannot delete entity, must detach all policies first.');
  if ((await repo.listGroupsForUser(user.userId)).length > 0) throw new DeleteConflictError('Cannot delete entity, must remove users from group first.');
  repo.deleteUser(user.userId);
  return undefined;
});
