/** CreateGroup: a group (AGPA… id) with an optional path. */
import { groupArn, newUniqueId, type GroupRecord } from '../../domain/identity.ts';
import { EntityAlreadyExistsError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { DEFAULT_PATH, groupOutput } from './common.ts';

interface Input { GroupName: string; Path?: string }

export const createGroup = defineQueryOperation('iam', 'CreateGroup', async (input: Input, ctx) => {
  const account = ctx.caller.accountId;
  const path = input.Path ?? DEFAULT_PATH;
  const arn = groupArn(account, path, input.GroupName);
  await ctx.authorize('iam:CreateGroup', arn);
  if (await ctx.identities.getGroup(account, input.GroupName)) throw new EntityAlreadyExistsError(`Group with name ${input.GroupName} already exists.`);
  const group: GroupRecord = { accountId: account, groupId: newUniqueId('AGPA'), name: input.GroupName, path, arn, createDate: ctx.clock.now() };
  ctx.identities.putGroup(group);
  return { Group: groupOutput(group) };
});
