/**
 * ListPolicies: the account's customer managed policies (Scope Local or All; there are no
 * AWS managed policies in Coffer, so Scope AWS lists none), OnlyAttached, PathPrefix, paged.
 */
import { defineQueryOperation } from '../query-context.ts';
import { byName, page, policyArnFor, policyOutput, underPath, type PageInput } from './common.ts';

interface Input extends PageInput { Scope?: 'All' | 'AWS' | 'Local'; OnlyAttached?: boolean; PathPrefix?: string; PolicyUsageFilter?: string }

export const listPolicies = defineQueryOperation('iam', 'ListPolicies', async (input: Input, ctx) => {
  await ctx.authorize('iam:ListPolicies', policyArnFor(ctx, '/', '*'));
  const repo = ctx.identities;
  const policies = input.Scope === 'AWS' || input.PolicyUsageFilter === 'PermissionsBoundary'
    ? []
    : (await Promise.all((await repo.listManagedPolicies(ctx.caller.accountId))
      .map(async (p) => ({ p, name: p.name, count: await repo.countAttachments(p.arn) }))))
      .filter((x) => underPath(x.p.path, input.PathPrefix) && (input.OnlyAttached !== true || x.count > 0));
  const { items, ...rest } = page(policies, byName, input);
  return { Policies: items.map((x) => policyOutput(x.p, x.count)), ...rest };
});
