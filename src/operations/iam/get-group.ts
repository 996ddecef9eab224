/** GetGroup: the group and its members (paged). */
import { defineQueryOperation } from '../query-context.ts';
import { byName, groupOutput, page, requirePrincipal, userOutput, type PageInput } from './common.ts';

interface Input extends PageInput { GroupName: string }

export const getGroup = defineQueryOperation('iam', 'GetGroup', async (input: Input, ctx) => {
  const group = await requirePrincipal(ctx, 'group', input.GroupName, 'GetGroup');
  const { items, ...rest } = page(await ctx.identities.listGroupMembers(group.id), byName, input);
  return { Group: groupOutput(group.record), Users: items.map((u) => userOutput(u)), ...rest };
});
