/**
 * Whose access keys an access-key operation manages: the named user, or without UserName the
 * calling user. The account root's own keys are managed outside IAM (root-credentials.json and
 * `npm run coffer -- accounts ...`), so root callers must name a user.
 */
import type { AccessKeyRecord, UserRecord } from '../../domain/identity.ts';
import { NoSuchEntityError, ValidationError } from '../../errors/query-errors.ts';
import type { QueryContext } from '../query-context.ts';
import { requireUser } from './common.ts';

export async function accessKeyOwner(ctx: QueryContext, userName: string | undefined, action: string): Promise<UserRecord> {
  if (userName !== undefined) return requireUser(ctx, userName, action);
  const caller = ctx.caller;
  if (caller.type === 'IAMUser' && caller.username !== undefined) return requireUser(ctx, caller.username, action);
  if (caller.type === 'Root') {
    throw new ValidationError("Coffer manages the account root's access keys outside IAM (root-credentials.json, `npm run coffer -- accounts`); specify UserName.");
  }
  throw new ValidationError('Must specify userName when calling with non-User credentials');
}

/** The user's key with this id, or NoSuchEntity. */
export async function requireUserKey(ctx: QueryContext, user: UserRecord, accessKeyId: string): Promise<AccessKeyRecord> {
  const key = await ctx.identities.getAccessKey(accessKeyId);
  if (!key || key.owner !== user.userId || key.accountId !== user.accountId) {
    throw new NoSuchEntityError(`The Access Key with id ${accessKeyId} cannot be found.`);
  }
  return key;
}

export const keyMetadata = (user: UserRecord, k: AccessKeyRecord): Record<string, unknown> => ({
  UserName: user.name, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: k.createDate,
});
