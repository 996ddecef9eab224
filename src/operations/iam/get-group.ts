/** GetGroup: the group and its members (paged). */
import { defineQueryOperation } from '../query-context.ts';
import { byName, groupOutput, page, requirePrincipal, userOutput, type PageInput } from './common.ts';
import type { GroupRecord } from '../../domain/identity.ts';

interface Input extends PageInput { GroupName: string }

export const getGroup = defineQueryOperation('iam', 'GetGroup', (input: Input, ctx) => {
  const ref = requirePrincipal(ctx, 'group', input.GroupName, 'GetGroup');
  const group = ctx.identities.getGroup(ctx.caller.accountId, ref.name) as GroupRecord;
  const { items, ...rest } = page(ctx.identities.listGroupMembers(ref.id), byName, input);
  return { Group: groupOutput(group), Users: items.map((u) => userOutput(u)), ...rest };
});
