/**
 * Authorization of IAM and STS calls, with the policy engine (src/policy):
 *
 * - `iam:*` / `sts:*` actions: the account root may do everything in its own account; an IAM user
 *   or role session is allowed iff one of its identity policies (the user's and its groups', or the
 *   role's; inline and attached) allows the action on the resource and none denies it.
 * - `sts:AssumeRole`: the role's trust policy is evaluated as a resource policy (action
 *   sts:AssumeRole). A Deny in it, or in the caller's identity policies, refuses. A trust statement
 *   naming the caller itself (user, role or session ARN, unique id) allows a caller of the role's
 *   account; one naming only the caller's account (its root) delegates to the account, so the
 *   caller's identity policies must allow sts:AssumeRole too — the rule of key policies. A caller
 *   from another account always needs both. As in AWS, the account root may not assume roles.
 *
 * Parsed policies are cached by text. A decision reads the caller's identity policy texts first
 * (asynchronously, from the committed state), then evaluates them synchronously; one whose policies
 * need more matching than one decision may do (policy/match-budget.ts) is denied.
 */
import type { Clock } from '../core/clock.ts';
import type { CredentialResolver } from '../services/credentials.ts';
import { IdentitySession } from '../services/identity-session.ts';
import type { UnitOfWork } from '../services/key-session.ts';
import type { RoleRecord } from '../domain/identity.ts';
import { AwsError } from '../errors/aws-error.ts';
import { AccessDeniedError } from '../errors/query-errors.ts';
import { evaluatePolicy, requestConditions, type PrincipalInfo, type RequestContext } from '../policy/evaluate.ts';
import { withMatchBudget, type MatchBudget } from '../policy/match-budget.ts';
import { parsePolicy, type Policy, type PolicyKind } from '../policy/parse.ts';
import type { IdentityRepository } from '../ports/identity-repository.ts';
import type { Caller, RequestInfo } from './context.ts';
import type { Conditions, QueryContext } from './query-context.ts';

const MAX_CACHED = 10_000;
const parsed = new Map<string, Policy>();

/** No size limit here: sizes are IAM's quotas, checked by the operations that store documents. */
const UNLIMITED = { maxBytes: Number.MAX_SAFE_INTEGER };

export function parseCached(text: string, kind: PolicyKind): Policy {
  const key = `${kind}\u0000${text}`;
  let p = parsed.get(key);
  if (!p) {
    p = parsePolicy(text, kind, UNLIMITED);
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(key, p);
  }
  return p;
}

function principalInfo(c: Caller): PrincipalInfo {
  return {
    arn: c.arn, accountId: c.accountId, type: c.type, userId: c.userId, tags: c.tags,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.roleArn !== undefined ? { roleArn: c.roleArn } : {}),
  };
}

const ACCOUNT_OF_ARN = /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/;

export interface IdentityDecisionInput {
  readonly caller: Caller;
  readonly action: string;
  readonly resource: string;
  readonly request: RequestInfo;
  readonly now: number;
  readonly conditions?: Conditions | undefined;
  /** Reads the caller's identity policy texts (not consulted for the root). */
  readonly identityPolicies: () => Promise<readonly string[]>;
}

function requestContext(i: IdentityDecisionInput): RequestContext {
  const principal = principalInfo(i.caller);
  return {
    action: i.action, resource: i.resource, principal,
    conditions: requestConditions(principal, { now: new Date(i.now), sourceIp: i.request.sourceIp, secureTransport: i.request.secureTransport }, i.conditions),
  };
}

function denied(i: IdentityDecisionInput, why: string): AccessDeniedError {
  return new AccessDeniedError(`User: ${i.caller.arn} is not authorized to perform: ${i.action} on resource: ${i.resource}${why}`);
}

const TOO_COSTLY = ' because the policies that apply need more matching than Coffer allows for one request';

/** The identity-policy verdict for a non-root caller: 'deny' (explicit), 'allow', or 'none'. */
function identityVerdict(texts: readonly string[], req: RequestContext, budget: MatchBudget): 'deny' | 'allow' | 'none' {
  let allow = false;
  for (const text of texts) {
    const r = evaluatePolicy(parseCached(text, 'identity'), req, 'identity', budget);
    if (r.denies.length > 0) return 'deny';
    if (r.allows.length > 0) allow = true;
  }
  return allow ? 'allow' : 'none';
}

/** Rejects with AccessDenied unless the caller may perform an IAM/STS action on a resource. */
export async function authorizeIdentityAction(i: IdentityDecisionInput): Promise<void> {
  if (i.caller.type === 'Root') {
    const account = ACCOUNT_OF_ARN.exec(i.resource)?.[1];
    if (account === undefined || account === i.caller.accountId) return;
    throw denied(i, '');
  }
  const texts = await i.identityPolicies();
  const verdict = withMatchBudget((budget) => identityVerdict(texts, requestContext(i), budget), () => 'too-costly' as const);
  if (verdict === 'allow') return;
  if (verdict === 'too-costly') throw denied(i, TOO_COSTLY);
  throw denied(i, verdict === 'deny' ? ' with an explicit deny in an identity-based policy' : ` because no identity-based policy allows the ${i.action} action`);
}

/** Rejects with AccessDenied unless the caller may assume `role` (see the file comment). */
export async function authorizeAssumeRole(i: Omit<IdentityDecisionInput, 'action' | 'resource'>, role: RoleRecord): Promise<void> {
  const input: IdentityDecisionInput = { ...i, action: 'sts:AssumeRole', resource: role.arn };
  if (i.caller.type === 'Root') throw new AccessDeniedError('Roles may not be assumed by root accounts.');
  const texts = await i.identityPolicies();
  const req = requestContext(input);
  const verdicts = withMatchBudget(
    (budget) => ({ trust: evaluatePolicy(parseCached(role.trustPolicy, 'trust'), req, 'trust', budget), identity: identityVerdict(texts, req, budget) }),
    () => undefined,
  );
  if (verdicts === undefined) throw denied(input, TOO_COSTLY);
  const { trust, identity } = verdicts;
  if (trust.denies.length > 0) throw denied(input, ' with an explicit deny in a resource-based policy');
  if (identity === 'deny') throw denied(input, ' with an explicit deny in an identity-based policy');
  const sameAccount = i.caller.accountId === role.accountId;
  if (trust.allows.some((m) => m.principalMatch === 'principal') && (sameAccount || identity === 'allow')) return;
  if (trust.allows.some((m) => m.principalMatch === 'account') && identity === 'allow') return;
  throw denied(input, '');
}

/** Policy-engine errors (KMS-named) as IAM's MalformedPolicyDocument. */
export function isPolicyEngineError(e: unknown): e is AwsError {
  return e instanceof AwsError && (e.code === 'MalformedPolicyDocumentException' || e.code === 'LimitExceededException');
}

export interface QueryContextDeps {
  /** The committed state; each request reads it through its own IdentitySession. */
  readonly identities: IdentityRepository;
  readonly credentials: CredentialResolver;
  readonly clock: Clock;
}

/**
 * Builds each request's QueryContext: its identity store is an IdentitySession over the request's
 * change set (`uow`), which the pipeline commits with the call's audit record after the operation.
 */
export function createQueryContextFactory(deps: QueryContextDeps) {
  return (caller: Caller, region: string, requestId: string, request: RequestInfo, uow: UnitOfWork): QueryContext => {
    const base = {
      caller, request, now: deps.clock.now(),
      identityPolicies: () => deps.credentials.identityPoliciesOf(caller),
    };
    return {
      requestId, caller, region, request, identities: new IdentitySession(deps.identities, uow), credentials: deps.credentials, clock: deps.clock,
      authorize: (action, resource, conditions) => authorizeIdentityAction({ ...base, action, resource, conditions }),
      authorizeAssumeRole: (role, conditions) => authorizeAssumeRole({ ...base, conditions }, role),
    };
  };
}
