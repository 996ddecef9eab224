/** ListRoles: the account's roles ordered by name, filtered by PathPrefix, paged. */
import { roleArn } from '../../domain/identity.ts';
import { defineQueryOperation } from '../query-context.ts';
import { byName, page, roleOutput, underPath, type PageInput } from './common.ts';

interface Input extends PageInput { PathPrefix?: string }

export const listRoles = defineQueryOperation('iam', 'ListRoles', async (input: Input, ctx) => {
  await ctx.authorize('iam:ListRoles', roleArn(ctx.caller.accountId, '/', '*'));
  const roles = (await ctx.identities.listRoles(ctx.caller.accountId)).filter((r) => underPath(r.path, input.PathPrefix));
  const { items, ...rest } = page(roles, byName, input);
  return { Roles: items.map((r) => roleOutput(r)), ...rest };
});
