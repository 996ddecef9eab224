/**
 * GetUser: the named user, or without UserName the caller itself (the account root answers with
 * its account id and root ARN, as AWS does).
 */
import { ValidationError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { requireUser, userOutput } from './common.ts';

interface Input { UserName?: string }

export const getUser = defineQueryOperation('iam', 'GetUser', async (input: Input, ctx) => {
  const caller = ctx.caller;
  if (input.UserName === undefined) {
    if (caller.type === 'Root') {
      const account = await ctx.identities.getAccount(caller.accountId);
      return { User: { UserId: caller.accountId, Arn: caller.arn, CreateDate: account?.createDate ?? 0 } };
    }
    if (caller.type !== 'IAMUser' || caller.username === undefined) throw new ValidationError('Must specify userName when calling with non-User credentials');
    return { User: userOutput(await requireUser(ctx, caller.username, 'GetUser'), true) };
  }
  return { User: userOutput(await requireUser(ctx, input.UserName, 'GetUser'), true) };
});
