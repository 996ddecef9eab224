/**
 * Inline policies of users, roles and groups: Put/Get/List/Delete<Kind>Policy share these rules.
 * IAM's quotas apply to the aggregate size of a principal's inline policies (characters without
 * whitespace): 2048 for a user, 10240 for a role, 5120 for a group.
 */
import type { PrincipalKind } from '../../domain/identity.ts';
import { NoSuchEntityError } from '../../errors/query-errors.ts';
import { defineQueryOperation, type QueryOperation } from '../query-context.ts';
import { page, requirePrincipal, type PageInput } from './common.ts';
import { checkPolicySize, policySize, validatePolicyDocument } from './policy-documents.ts';

const KINDS = {
  user: { Kind: 'User', nameMember: 'UserName', quota: 2048 },
  role: { Kind: 'Role', nameMember: 'RoleName', quota: 10240 },
  group: { Kind: 'Group', nameMember: 'GroupName', quota: 5120 },
} as const;

type Named = Record<string, unknown>;
const nameOf = (input: Named, member: string): string => input[member] as string;

export function putInlinePolicy(kind: PrincipalKind): QueryOperation {
  const { Kind, nameMember, quota } = KINDS[kind];
  return defineQueryOperation('iam', `Put${Kind}Policy`, async (input: Named & { PolicyName: string; PolicyDocument: string }, ctx) => {
    const repo = ctx.identities;
    const p = await requirePrincipal(ctx, kind, nameOf(input, nameMember), `Put${Kind}Policy`);
    validatePolicyDocument(input.PolicyDocument, 'identity');
    const others = (await repo.listInlinePolicies(p.id)).filter((x) => x.name.toLowerCase() !== input.PolicyName.toLowerCase());
    const total = others.reduce((n, x) => n + policySize(x.document), policySize(input.PolicyDocument));
    checkPolicySize(total, quota, `${kind} ${p.name}`);
    repo.putInlinePolicy({ principalId: p.id, name: input.PolicyName, document: input.PolicyDocument });
    return undefined;
  });
}

export function getInlinePolicy(kind: PrincipalKind): QueryOperation {
  const { Kind, nameMember } = KINDS[kind];
  return defineQueryOperation('iam', `Get${Kind}Policy`, async (input: Named & { PolicyName: string }, ctx) => {
    const p = await requirePrincipal(ctx, kind, nameOf(input, nameMember), `Get${Kind}Policy`);
    const policy = await ctx.identities.getInlinePolicy(p.id, input.PolicyName);
    if (!policy) throw new NoSuchEntityError(`The ${kind} policy with name ${input.PolicyName} cannot be found.`);
    return { [nameMember]: p.name, PolicyName: policy.name, PolicyDocument: policy.document };
  });
}

export function listInlinePolicies(kind: PrincipalKind): QueryOperation {
  const { Kind, nameMember } = KINDS[kind];
  return defineQueryOperation('iam', `List${Kind}Policies`, async (input: Named & PageInput, ctx) => {
    const p = await requirePrincipal(ctx, kind, nameOf(input, nameMember), `List${Kind}Policies`);
    const { items, ...rest } = page(await ctx.identities.listInlinePolicies(p.id), (x) => x.name.toLowerCase(), input);
    return { PolicyNames: items.map((x) => x.name), ...rest };
  });
}

export function deleteInlinePolicy(kind: PrincipalKind): QueryOperation {
  const { Kind, nameMember } = KINDS[kind];
  return defineQueryOperation('iam', `Delete${Kind}Policy`, async (input: Named & { PolicyName: string }, ctx) => {
    const repo = ctx.identities;
    const p = await requirePrincipal(ctx, kind, nameOf(input, nameMember), `Delete${Kind}Policy`);
    if (!(await repo.getInlinePolicy(p.id, input.PolicyName))) throw new NoSuchEntityError(`The ${kind} policy with name ${input.PolicyName} cannot be found.`);
    repo.deleteInlinePolicy(p.id, input.PolicyName);
    return undefined;
  });
}
