/** GetCallerIdentity: who signed the request. Needs no permission (as in AWS). */
import { defineQueryOperation } from '../query-context.ts';

export const getCallerIdentity = defineQueryOperation('sts', 'GetCallerIdentity', async (_input: object, ctx) => ({
  UserId: ctx.caller.userId, Account: ctx.caller.accountId, Arn: ctx.caller.arn,
}));
