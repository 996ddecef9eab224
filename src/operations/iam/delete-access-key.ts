/** DeleteAccessKey: removes a user's key for good. */
import { defineQueryOperation } from '../query-context.ts';
import { accessKeyOwner, requireUserKey } from './access-key-owner.ts';

interface Input { UserName?: string; AccessKeyId: string }

export const deleteAccessKey = defineQueryOperation('iam', 'DeleteAccessKey', async (input: Input, ctx) => {
  const repo = ctx.identities;
  const user = await accessKeyOwner(ctx, input.UserName, 'DeleteAccessKey');
  const key = await requireUserKey(ctx, user, input.AccessKeyId);
  repo.deleteAccessKey(key.accessKeyId);
  return undefined;
});
