/** UpdateAccessKey: Active or Inactive; an inactive key authenticates nothing until reactivated. */
import { InvalidInputError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { accessKeyOwner, requireUserKey } from './access-key-owner.ts';

interface Input { UserName?: string; AccessKeyId: string; Status: 'Active' | 'Inactive' | 'Expired' }

export const updateAccessKey = defineQueryOperation('iam', 'UpdateAccessKey', async (input: Input, ctx) => {
  const repo = ctx.identities;
  const user = await accessKeyOwner(ctx, input.UserName, 'UpdateAccessKey');
  const key = await requireUserKey(ctx, user, input.AccessKeyId);
  const status = input.Status;
  if (status === 'Expired') throw new InvalidInputError('The Status of an access key can only be set to Active or Inactive.');
  repo.putAccessKey({ ...key, status });
  return undefined;
});
