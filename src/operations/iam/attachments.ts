/**
 * Managed policy attachments of users, roles and groups: Attach/Detach<Kind>Policy and
 * ListAttached<Kind>Policies share these rules. At most 10 policies per principal (IAM's default).
 * The authorization request carries `iam:PolicyARN`.
 */
import type { PrincipalKind } from '../../domain/identity.ts';
import { LimitExceededError, NoSuchEntityError } from '../../errors/query-errors.ts';
import { defineQueryOperation, type QueryOperation } from '../query-context.ts';
import { notAttachable, page, requirePrincipal, underPath, type PageInput } from './common.ts';

export const MAX_ATTACHED_POLICIES = 10;

const KINDS = {
  user: { Kind: 'User', nameMember: 'UserName' },
  role: { Kind: 'Role', nameMember: 'RoleName' },
  group: { Kind: 'Group', nameMember: 'GroupName' },
} as const;

type Named = Record<string, unknown>;

export function attachPolicy(kind: PrincipalKind): QueryOperation {
  const { Kind, nameMember } = KINDS[kind];
  return defineQueryOperation('iam', `Attach${Kind}Policy`, async (input: Named & { PolicyArn: string }, ctx) => {
    const repo = ctx.identities;
    const p = await requirePrincipal(ctx, kind, input[nameMember] as string, `Attach${Kind}Policy`, { 'iam:PolicyARN': input.PolicyArn });
    const policy = await repo.getManagedPolicy(input.PolicyArn);
    if (!policy || policy.accountId !== ctx.caller.accountId) throw new NoSuchEntityError(notAttachable(input.PolicyArn));
    const attached = await repo.listAttachedPolicies(p.id);
    if (attached.some((a) => a.arn === policy.arn)) return undefined;
    if (attached.length >= MAX_ATTACHED_POLICIES) throw new LimitExceededError(`Cannot exceed quota for PoliciesPer${Kind}: ${MAX_ATTACHED_POLICIES}`);
    repo.attachPolicy(p.id, policy.arn);
    return undefined;
  });
}

export function detachPolicy(kind: PrincipalKind): QueryOperation {
  const { Kind, nameMember } = KINDS[kind];
  return defineQueryOperation('iam', `Detach${Kind}Policy`, async (input: Named & { PolicyArn: string }, ctx) => {
    const repo = ctx.identities;
    const p = await requirePrincipal(ctx, kind, input[nameMember] as string, `Detach${Kind}Policy`, { 'iam:PolicyARN': input.PolicyArn });
    if (!(await repo.listAttachedPolicies(p.id)).some((a) => a.arn === input.PolicyArn)) throw new NoSuchEntityError(`Policy ${input.PolicyArn} was not found.`);
    repo.detachPolicy(p.id, input.PolicyArn);
    return undefined;
  });
}

export function listAttachedPolicies(kind: PrincipalKind): QueryOperation {
  const { Kind, nameMember } = KINDS[kind];
  return defineQueryOperation('iam', `ListAttached${Kind}Policies`, async (input: Named & PageInput & { PathPrefix?: string }, ctx) => {
    const p = await requirePrincipal(ctx, kind, input[nameMember] as string, `ListAttached${Kind}Policies`);
    const attached = (await ctx.identities.listAttachedPolicies(p.id)).filter((a) => underPath(a.path, input.PathPrefix));
    const { items, ...rest } = page(attached, (a) => a.name.toLowerCase(), input);
    return { AttachedPolicies: items.map((a) => ({ PolicyName: a.name, PolicyArn: a.arn })), ...rest };
  });
}
