/** ListGroups: the account's groups ordered by name, filtered by PathPrefix, paged. */
import { groupArn } from '../../domain/identity.ts';
import { defineQueryOperation } from '../query-context.ts';
import { byName, groupOutput, page, underPath, type PageInput } from './common.ts';

interface Input extends PageInput { PathPrefix?: string }

export const listGroups = defineQueryOperation('iam', 'ListGroups', async (input: Input, ctx) => {
  await ctx.authorize('iam:ListGroups', groupArn(ctx.caller.accountId, '/', '*'));
  const groups = (await ctx.identities.listGroups(ctx.caller.accountId)).filter((g) => underPath(g.path, input.PathPrefix));
  const { items, ...rest } = page(groups, byName, input);
  return { Groups: items.map(groupOutput), ...rest };
});
