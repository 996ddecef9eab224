/** CreateUser: a new IAM user (AIDA… id), optionally with a path and tags. */
import { newUniqueId, userArn, type Tag, type UserRecord } from '../../domain/identity.ts';
import { EntityAlreadyExistsError, InvalidInputError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { checkTagKeysUnique, DEFAULT_PATH, MAX_TAGS, userOutput } from './common.ts';

interface Input { UserName: string; Path?: string; PermissionsBoundary?: string; Tags?: Tag[] }

export const createUser = defineQueryOperation('iam', 'CreateUser', async (input: Input, ctx) => {
  const account = ctx.caller.accountId;
  const path = input.Path ?? DEFAULT_PATH;
  const arn = userArn(account, path, input.UserName);
  await ctx.authorize('iam:CreateUser', arn);
  if (input.PermissionsBoundary !== undefined) throw new InvalidInputError('Coffer does not support permissions boundaries.');
  const tags = input.Tags ?? [];
  checkTagKeysUnique(tags);
  if (tags.length > MAX_TAGS) throw new InvalidInputError(`The number of tags exceeds the maximum of ${MAX_TAGS}.`);
  if (await ctx.identities.getUser(account, input.UserName)) throw new EntityAlreadyExistsError(`User with name ${input.UserName} already exists.`);
  const user: UserRecord = {
    accountId: account, userId: newUniqueId('AIDA'), name: input.UserName, path, arn, createDate: ctx.clock.now(),
    tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })),
  };
  ctx.identities.putUser(user);
  return { User: userOutput(user, true) };
});
