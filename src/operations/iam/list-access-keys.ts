/** ListAccessKeys: a user's keys (ids, status, creation date; never secrets). */
import { defineQueryOperation } from '../query-context.ts';
import { accessKeyOwner, keyMetadata } from './access-key-owner.ts';
import { page, type PageInput } from './common.ts';

interface Input extends PageInput { UserName?: string }

export const listAccessKeys = defineQueryOperation('iam', 'ListAccessKeys', async (input: Input, ctx) => {
  const user = await accessKeyOwner(ctx, input.UserName, 'ListAccessKeys');
  const keys = await ctx.identities.listAccessKeys(user.accountId, user.userId);
  const { items, ...rest } = page(keys, (k) => `${String(k.createDate).padStart(16, '0')}/${k.accessKeyId}`, input);
  return { AccessKeyMetadata: items.map((k) => keyMetadata(user, k)), ...rest };
});
