/** AddUserToGroup: membership (idempotent); a user belongs to at most 10 groups. */
import { LimitExceededError, NoSuchEntityError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { findPrincipal, requirePrincipal } from './common.ts';

export const MAX_GROUPS_PER_USER = 10;

interface Input { GroupName: string; UserName: string }

export const addUserToGroup = defineQueryOperation('iam', 'AddUserToGroup', async (input: Input, ctx) => {
  const repo = ctx.identities;
  const group = await requirePrincipal(ctx, 'group', input.GroupName, 'AddUserToGroup');
  const user = await findPrincipal(ctx, 'user', input.UserName);
  if (!user) throw new NoSuchEntityError(`The user with name ${input.UserName} cannot be found.`);
  const groups = await repo.listGroupsForUser(user.id);
  if (groups.some((g) => g.groupId === group.id)) return undefined;
  if (groups.length >= MAX_GROUPS_PER_USER) throw new LimitExceededError(`Cannot exceed quota for GroupsPerUser: ${MAX_GROUPS_PER_USER}`);
  repo.addGroupMember(group.id, user.id);
  return undefined;
});
