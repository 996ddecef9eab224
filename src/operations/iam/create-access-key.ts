/** CreateAccessKey: a new AKIA… key for a user (at most 2); the only answer that ever carries the secret. */
import { newAccessKeyId, newSecretAccessKey, type AccessKeyRecord } from '../../domain/identity.ts';
import { LimitExceededError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { accessKeyOwner } from './access-key-owner.ts';

export const MAX_ACCESS_KEYS_PER_USER = 2;

interface Input { UserName?: string }

export const createAccessKey = defineQueryOperation('iam', 'CreateAccessKey', async (input: Input, ctx) => {
  const repo = ctx.identities;
  const user = await accessKeyOwner(ctx, input.UserName, 'CreateAccessKey');
  if ((await repo.listAccessKeys(user.accountId, user.userId)).length >= MAX_ACCESS_KEYS_PER_USER) {
    throw new LimitExceededError(`Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS_PER_USER}`);
  }
  const key: AccessKeyRecord = {
    accessKeyId: newAccessKeyId('AKIA'), accountId: user.accountId, owner: user.userId, secretAccessKey: newSecretAccessKey(),
    status: 'Active', createDate: ctx.clock.now(),
  };
  repo.putAccessKey(key);
  return {
    AccessKey: { UserName: user.name, AccessKeyId: key.accessKeyId, Status: key.status, SecretAccessKey: key.secretAccessKey, CreateDate: key.createDate },
  };
});
