/** RemoveUserFromGroup: ends a membership. */
import { NoSuchEntityError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { findPrincipal, requirePrincipal } from './common.ts';

interface Input { GroupName: string; UserName: string }

export const removeUserFromGroup = defineQueryOperation('iam', 'RemoveUserFromGroup', async (input: Input, ctx) => {
  const repo = ctx.identities;
  const group = await requirePrincipal(ctx, 'group', input.GroupName, 'RemoveUserFromGroup');
  const user = await findPrincipal(ctx, 'user', input.UserName);
  if (!user) throw new NoSuchEntityError(`The user with name ${input.UserName} cannot be found.`);
  if (!(await repo.listGroupsForUser(user.id)).some((g) => g.groupId === group.id)) {
    throw new NoSuchEntityError(`The user with name ${user.name} is not a member of group ${group.name}.`);
  }
  repo.removeGroupMember(group.id, user.id);
  return undefined;
});
