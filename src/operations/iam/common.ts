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

/** The record of each kind of principal. */
export interface PrincipalRecords {
  readonly user: UserRecord;
  readonly role: RoleRecord;
  readonly group: GroupRecord;
}

/** A principal found by name, with the record it was found as. */
export type FoundPrincipal<K extends PrincipalKind> = PrincipalRef & { readonly record: PrincipalRecords[K] };

const LOOKUP: { readonly [K in PrincipalKind]: (ctx: QueryContext, account: string, name: string) => Promise<PrincipalRecords[K] | undefined> } = {
  user: (ctx, account, name) => ctx.identities.getUser(account, name),
  role: (ctx, account, name) => ctx.identities.getRole(account, name),
  group: (ctx, account, name) => ctx.identities.getGroup(account, name),
};

const ID_OF: { readonly [K in PrincipalKind]: (record: PrincipalRecords[K]) => string } = {
  user: (u) => u.userId,
  role: (r) => r.roleId,
  group: (g) => g.groupId,
};

export async function findPrincipal<K extends PrincipalKind>(ctx: QueryContext, kind: K, name: string): Promise<FoundPrincipal<K> | undefined> {
  const record = await LOOKUP[kind](ctx, ctx.caller.accountId, name);
  if (!record) return undefined;
  return { kind, id: ID_OF[kind](record), name: record.name, arn: record.arn, record };
}

/** Authorizes `iam:<action>` on the entity (or on the ARN it would have) and then requires it to exist. */
export async function requirePrincipal<K extends PrincipalKind>(
  ctx: QueryContext, kind: K, name: string, action: string, conditions?: Conditions,
): Promise<FoundPrincipal<K>> {
  const found = await findPrincipal(ctx, kind, name);
  await ctx.authorize(`iam:${action}`, found?.arn ?? ARN_OF[kind](ctx.caller.accountId, DEFAULT_PATH, name), conditions);
  if (!found) throw new NoSuchEntityError(`The ${kind} with name ${name} cannot be found.`);
  return found;
}

/** The user's record as `requirePrincipal` found it (one read: the record the check was made on). */
export async function requireUser(ctx: QueryContext, name: string, action: string): Promise<UserRecord> {
  return (await requirePrincipal(ctx, 'user', name, action)).record;
}

/** The role's record as `requirePrincipal` found it (one read: the record the check was made on). */
export async function requireRole(ctx: QueryContext, name: string, action: string): Promise<RoleRecord> {
  return (await requirePrincipal(ctx, 'role', name, action)).record;
}

/** A customer managed policy of the caller's account, by ARN; authorizes `iam:<action>` on it first. */
export async function requirePolicy(
  ctx: QueryContext, arn: string, action: string, missing: (arn: string) => string = (a) => `Policy ${a} was not found.`,
): Promise<ManagedPolicyRecord> {
  await ctx.authorize(`iam:${action}`, arn);
  const p = await ctx.identities.getManagedPolicy(arn);
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
