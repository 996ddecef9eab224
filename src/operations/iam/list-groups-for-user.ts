/** ListGroupsForUser: the groups a user belongs to, ordered by name, paged. */
import { defineQueryOperation } from '../query-context.ts';
import { byName, groupOutput, page, requirePrincipal, type PageInput } from './common.ts';

interface Input extends PageInput { UserName: string }

export const listGroupsForUser = defineQueryOperation('iam', 'ListGroupsForUser', async (input: Input, ctx) => {
  const user = await requirePrincipal(ctx, 'user', input.UserName, 'ListGroupsForUser');
  const { items, ...rest } = page(await ctx.identities.listGroupsForUser(user.id), byName, input);
  return { Groups: items.map(groupOutput), ...rest };
});
