/**
 * What the IAM operations share: entity lookup behind authorization (a caller learns nothing about
 * an entity it may not act on), the wire forms of users, roles, groups and policies, tags, quotas
 * and Marker/MaxItems paging.
 */
import {
  groupArn, policyArn, roleArn, userArn, type GroupRecord, type ManagedPolicyRecord, type PrincipalKind, type RoleRecord, type Tag, type UserRecord,
} from '../../domain/identity.ts';
import { InvalidInputError, LimitExceededError, NoSuchEntityError } from '../../errors/query-errors.ts';
import type { Conditions, QueryContext } from '../query-context.ts';

export const DEFAULT_PATH = '/';
export const MAX_TAGS = 50;

// ---------------------------------------------------------------------------------------------
// Lookups.

export interface PrincipalRef {
  readonly kind: PrincipalKind;
  readonly id: string;
  readonly name: string;
  readonly arn: string;
}

const ARN_OF: Readonly<Record<PrincipalKind, (account: string, path: string, name: string) => string>> = { user: userArn, role: roleArn, group: groupArn };

export function findPrincipal(ctx: QueryContext, kind: PrincipalKind, name: string): (PrincipalRef & { record: UserRecord | RoleRecord | GroupRecord }) | undefined {
  const account = ctx.caller.accountId;
  const record = kind === 'user' ? ctx.identities.getUser(account, name) : kind === 'role' ? ctx.identities.getRole(account, name) : ctx.identities.getGroup(account, name);
  if (!record) return undefined;
  const id = 'userId' in record ? record.userId : 'roleId' in record ? record.roleId : record.groupId;
  return { kind, id, name: record.name, arn: record.arn, record };
}

/** Authorizes `iam:<action>` on the entity (or on the ARN it would have) and then requires it to exist. */
export function requirePrincipal(ctx: QueryContext, kind: PrincipalKind, name: string, action: string, conditions?: Conditions): PrincipalRef {
  const found = findPrincipal(ctx, kind, name);
  ctx.authorize(`iam:${action}`, found?.arn ?? ARN_OF[kind](ctx.caller.accountId, DEFAULT_PATH, name), conditions);
  if (!found) throw new NoSuchEntityError(`The ${kind} with name ${name} cannot be found.`);
  return found;
}

export function requireUser(ctx: QueryContext, name: string, action: string): UserRecord {
  const ref = requirePrincipal(ctx, 'user', name, action);
  return ctx.identities.getUserById(ref.id) as UserRecord;
}

export function requireRole(ctx: QueryContext, name: string, action: string): RoleRecord {
  const ref = requirePrincipal(ctx, 'role', name, action);
  return ctx.identities.getRoleById(ref.id) as RoleRecord;
}

/** A customer managed policy of the caller's account, by ARN; authorizes `iam:<action>` on it first. */
export function requirePolicy(ctx: QueryContext, arn: string, action: string, missing: (arn: string) => string = (a) => `Policy ${a} was not found.`): ManagedPolicyRecord {
  ctx.authorize(`iam:${action}`, arn);
  const p = ctx.identities.getManagedPolicy(arn);
  if (!p || p.accountId !== ctx.caller.accountId) throw new NoSuchEntityError(missing(arn));
  return p;
}

export const notAttachable = (arn: string): string => `Policy ${arn} does not exist or is not attachable.`;

// ---------------------------------------------------------------------------------------------
// Wire forms.

export function userOutput(u: UserRecord, withTags = false): Record<string, unknown> {
  return {
    Path: u.path, UserName: u.name, UserId: u.userId, Arn: u.arn, CreateDate: u.createDate,
    ...(withTags && u.tags.length > 0 ? { Tags: u.tags } : {}),
  };
}

export function roleOutput(r: RoleRecord, detail = false): Record<string, unknown> {
  return {
    Path: r.path, RoleName: r.name, RoleId: r.roleId, Arn: r.arn, CreateDate: r.createDate,
    AssumeRolePolicyDocument: r.trustPolicy,
    ...(r.description !== undefined ? { Description: r.description } : {}),
    MaxSessionDuration: r.maxSessionDuration,
    ...(detail && r.tags.length > 0 ? { Tags: r.tags } : {}),
    ...(detail ? { RoleLastUsed: {} } : {}),
  };
}

export function groupOutput(g: GroupRecord): Record<string, unknown> {
  return { Path: g.path, GroupName: g.name, GroupId: g.groupId, Arn: g.arn, CreateDate: g.createDate };
}

export function policyOutput(p: ManagedPolicyRecord, attachmentCount: number, withTags = false): Record<string, unknown> {
  return {
    PolicyName: p.name, PolicyId: p.policyId, Arn: p.arn, Path: p.path, DefaultVersionId: p.defaultVersionId,
    AttachmentCount: attachmentCount, PermissionsBoundaryUsageCount: 0, IsAttachable: true,
    ...(p.description !== undefined ? { Description: p.description } : {}),
    CreateDate: p.createDate, UpdateDate: p.updateDate,
    ...(withTags && p.tags.length > 0 ? { Tags: p.tags } : {}),
  };
}

export const policyArnFor = (ctx: QueryContext, path: string, name: string): string => policyArn(ctx.caller.accountId, path, name);

// ---------------------------------------------------------------------------------------------
// Tags. IAM tag keys ignore case: a tag replaces the one whose key differs only in case.

export function checkTagKeysUnique(tags: readonly Tag[]): void {
  const seen = new Set<string>();
  for (const t of tags) {
    const k = t.Key.toLowerCase();
    if (seen.has(k)) throw new InvalidInputError('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(k);
  }
}

export function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  checkTagKeysUnique(added);
  const out = existing.filter((t) => !added.some((a) => a.Key.toLowerCase() === t.Key.toLowerCase()));
  out.push(...added.map((t) => ({ Key: t.Key, Value: t.Value })));
  if (out.length > MAX_TAGS) throw new LimitExceededError(`The number of tags has reached the maximum limit of ${MAX_TAGS}.`);
  return out;
}

export function removeTags(existing: readonly Tag[], keys: readonly string[]): Tag[] {
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  return existing.filter((t) => !drop.has(t.Key.toLowerCase()));
}

// ---------------------------------------------------------------------------------------------
// Paging: Marker is the (encoded) sort key of the last item answered.

export const DEFAULT_MAX_ITEMS = 100;

export interface PageInput {
  readonly Marker?: string;
  readonly MaxItems?: number;
}

export function page<T>(items: readonly T[], keyOf: (t: T) => string, input: PageInput): { items: T[]; IsTruncated: boolean; Marker?: string } {
  let start = 0;
  if (input.Marker !== undefined) {
    const after = Buffer.from(input.Marker, 'base64url').toString('utf8');
    start = items.findIndex((t) => keyOf(t) > after);
    if (start < 0) start = items.length;
  }
  const max = input.MaxItems ?? DEFAULT_MAX_ITEMS;
  const slice = items.slice(start, start + max);
  const truncated = start + max < items.length;
  const last = slice.at(-1);
  return {
    items: slice, IsTruncated: truncated,
    ...(truncated && last !== undefined ? { Marker: Buffer.from(keyOf(last), 'utf8').toString('base64url') } : {}),
  };
}

export const byName = (t: { readonly name: string }): string => t.name.toLowerCase();

export function underPath(path: string, prefix: string | undefined): boolean {
  return prefix === undefined || path.startsWith(prefix);
}
