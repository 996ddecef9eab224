/** ListUsers: the account's users ordered by name, filtered by PathPrefix, paged. */
import { userArn } from '../../domain/identity.ts';
import { defineQueryOperation } from '../query-context.ts';
import { byName, page, underPath, userOutput, type PageInput } from './common.ts';

interface Input extends PageInput { PathPrefix?: string }

export const listUsers = defineQueryOperation('iam', 'ListUsers', async (input: Input, ctx) => {
  await ctx.authorize('iam:ListUsers', userArn(ctx.caller.accountId, '/', '*'));
  const users = (await ctx.identities.listUsers(ctx.caller.accountId)).filter((u) => underPath(u.path, input.PathPrefix));
  const { items, ...rest } = page(users, byName, input);
  return { Users: items.map((u) => userOutput(u)), ...rest };
});
