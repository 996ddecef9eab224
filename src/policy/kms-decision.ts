/**
 * AWS KMS authorization (reference §3.14): key policy + IAM policies + grants.
 *
 * An explicit Deny in the key policy or in any of the caller's identity policies wins. Otherwise a
 * key-scoped request is allowed by
 *  (a) a key-policy Allow naming the caller itself (or its role, or "*") — from another account the
 *      caller's identity policies must allow it too;
 *  (b) a key-policy Allow naming the caller's account (account id or root ARN), which enables IAM:
 *      the account's root user, or an identity policy of the caller that allows it;
 *  (c) a grant on the key for the caller that allows the operation, constraints satisfied.
 * Nothing else: a key policy that does not name the account locks out even its root user.
 * Account-level actions (no key policy) are decided by identity policies alone; the root user has
 * every permission of its account and is never subject to its own account's identity policies.
 */
import { parseKmsArn } from '../core/arn.ts';
import { evaluatePolicy, type PrincipalInfo, type RequestContext } from './evaluate.ts';
import { withMatchBudget, type MatchBudget } from './match-budget.ts';
import type { Policy } from './parse.ts';

export interface GrantInfo {
  readonly grantId: string;
  /** ARN (user, role, account root). */
  readonly granteePrincipal: string;
  /** GrantOperation names, e.g. 'Decrypt'. */
  readonly operations: readonly string[];
  readonly constraints?: {
    readonly encryptionContextEquals?: Readonly<Record<string, string>>;
    readonly encryptionContextSubset?: Readonly<Record<string, string>>;
  };
}

export interface KmsAuthorizationInput {
  /** Action kms:X; resource = key ARN (or '*' / alias ARN for account-level actions). */
  readonly request: RequestContext;
  /** Absent for account-level actions (CreateKey, ListKeys, ListAliases, GenerateRandom, ...). */
  readonly keyAccountId?: string;
  /** The key's policy; absent for account-level actions. */
  readonly keyPolicy?: Policy;
  /** The caller's IAM policies (user + groups, or the role's); ignored for the root user. */
  readonly identityPolicies: readonly Policy[];
  /** Grants on the key (grantee and operation are checked here). */
  readonly grants?: readonly GrantInfo[];
  /** Which GrantOperation this request is (absent: grants cannot allow it). */
  readonly grantOperation?: string;
  readonly encryptionContext?: Readonly<Record<string, string>>;
}

/** `too-costly`: the policies needed more matching than one decision may do (match-budget.ts). */
export type DenyReason = 'explicit-deny-resource' | 'explicit-deny-identity' | 'no-resource-policy' | 'no-identity-policy' | 'too-costly';

export type Decision =
  | { readonly allowed: true; readonly via: 'key-policy' | 'key-policy+iam' | 'iam' | 'grant'; readonly grantId?: string }
  | { readonly allowed: false; readonly reason: DenyReason };

/** Grant operations whose grant constraints are not applied (the request has no encryption context to test). */
const UNCONSTRAINED_OPERATIONS = new Set(['DescribeKey', 'RetireGrant']);

const isEmpty = (r: Readonly<Record<string, string>> | undefined): boolean => r === undefined || Object.keys(r).length === 0;

/** `ctx` contains every pair of `required`. */
function containsAll(ctx: Readonly<Record<string, string>>, required: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(required)) if (!Object.hasOwn(ctx, k) || ctx[k] !== v) return false;
  return true;
}

/**
 * Whether the grant lets this principal perform the operation: the grantee is the caller (its ARN,
 * or its role's ARN for a role session), the operation is listed, and the constraints hold
 * (EncryptionContextEquals: the request's context is exactly the constraint; EncryptionContextSubset:
 * it contains every pair; a request without context satisfies only an empty Subset; constraints are
 * not applied to DescribeKey and RetireGrant).
 */
export function grantAllows(
  grant: GrantInfo,
  principal: PrincipalInfo,
  operation: string,
  encryptionContext: Readonly<Record<string, string>> | undefined,
): boolean {
  const grantee = grant.granteePrincipal;
  if (grantee !== principal.arn && (principal.roleArn === undefined || grantee !== principal.roleArn)) return false;
  if (!grant.operations.includes(operation)) return false;
  const c = grant.constraints;
  if (!c || UNCONSTRAINED_OPERATIONS.has(operation)) return true;
  const noContext = isEmpty(encryptionContext);
  if (c.encryptionContextEquals !== undefined) {
    if (noContext || !encryptionContext) return false;
    const want = c.encryptionContextEquals;
    if (Object.keys(want).length !== Object.keys(encryptionContext).length || !containsAll(encryptionContext, want)) return false;
  }
  if (c.encryptionContextSubset !== undefined) {
    if (isEmpty(c.encryptionContextSubset)) return true;
    if (noContext || !encryptionContext || !containsAll(encryptionContext, c.encryptionContextSubset)) return false;
  }
  return true;
}

/** The decision, denied (fail closed) when its policies need more matching than MATCH_BUDGET. */
export function decideKms(input: KmsAuthorizationInput): Decision {
  return withMatchBudget((budget) => decide(input, budget), () => ({ allowed: false, reason: 'too-costly' }));
}

function decide(input: KmsAuthorizationInput, budget: MatchBudget): Decision {
  const req = input.request;
  const p = req.principal;
  const isRoot = p.type === 'Root';

  // The caller's identity policies (the root user and service principals have none that apply).
  let identityAllows = false;
  let identityDenies = false;
  if (!isRoot && p.type !== 'Service') {
    for (const policy of input.identityPolicies) {
      const r = evaluatePolicy(policy, req, 'identity', budget);
      if (r.denies.length > 0) identityDenies = true;
      if (r.allows.length > 0) identityAllows = true;
    }
  }

  if (!input.keyPolicy) {
    if (isRoot) return { allowed: true, via: 'iam' };
    if (identityDenies) return { allowed: false, reason: 'explicit-deny-identity' };
    return identityAllows ? { allowed: true, via: 'iam' } : { allowed: false, reason: 'no-identity-policy' };
  }

  const key = evaluatePolicy(input.keyPolicy, req, 'resource', budget);
  if (key.denies.length > 0) return { allowed: false, reason: 'explicit-deny-resource' };
  if (identityDenies) return { allowed: false, reason: 'explicit-deny-identity' };

  const keyAccount = input.keyAccountId ?? parseKmsArn(req.resource)?.accountId ?? p.accountId;
  const crossAccount = p.type !== 'Service' && p.accountId !== keyAccount;
  let missing: 'no-resource-policy' | 'no-identity-policy' = 'no-resource-policy';
  if (key.allows.some((m) => m.principalMatch === 'principal')) {
    if (!crossAccount || isRoot) return { allowed: true, via: 'key-policy' };
    if (identityAllows) return { allowed: true, via: 'key-policy+iam' };
    missing = 'no-identity-policy';
  }
  if (key.allows.some((m) => m.principalMatch === 'account')) {
    if (isRoot) return { allowed: true, via: 'key-policy' };
    if (identityAllows) return { allowed: true, via: 'key-policy+iam' };
    missing = 'no-identity-policy';
  }
  if (input.grantOperation !== undefined) {
    for (const g of input.grants ?? []) {
      if (grantAllows(g, p, input.grantOperation, input.encryptionContext)) return { allowed: true, via: 'grant', grantId: g.grantId };
    }
  }
  return { allowed: false, reason: missing };
}

/** AWS's AccessDeniedException text for a denial. */
export function accessDeniedMessage(principalArn: string, action: string, resource: string, d: Decision & { allowed: false }): string {
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  switch (d.reason) {
    case 'explicit-deny-resource':
      return `${head} with an explicit deny in a resource-based policy`;
    case 'explicit-deny-identity':
      return `${head} with an explicit deny in an identity-based policy`;
    case 'no-resource-policy':
      return `${head} because no resource-based policy allows the ${action} action`;
    case 'no-identity-policy':
      return `${head} because no identity-based policy allows the ${action} action`;
    case 'too-costly':
      return `${head} because the policies that apply need more matching than Coffer allows for one request`;
  }
}
