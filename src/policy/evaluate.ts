/**
 * Pure evaluation of a parsed policy against one request: which statements apply (Allow / Deny),
 * and for resource and trust policies how the Principal element named the caller. The request's
 * condition keys come from requestConditions (global keys) plus the operation's own keys.
 *
 * A statement applies when its principal (resource/trust policies), action, resource (identity and
 * resource policies; a missing Resource matches nothing) and every condition match. NotAction /
 * NotResource match what the list does not name; NotPrincipal covers every caller it does not name
 * itself (naming a user's account alone does not spare the user). A policy variable that does not
 * resolve makes its statement not apply. Evaluation allocates only the result lists.
 */
import type { Policy, PolicyKind, Statement } from './parse.ts';
import { conditionsHold } from './conditions.ts';
import { matchPrincipal, type PrincipalInfo, type PrincipalMatch } from './principals.ts';
import { anyMatches } from './wildcard.ts';
import type { MatchBudget } from './match-budget.ts';
import type { ConditionValues } from './variables.ts';

export type { PrincipalInfo, PrincipalMatch, PrincipalType } from './principals.ts';

export interface RequestContext {
  /** e.g. 'kms:Decrypt' (matched case-insensitively, wildcards * and ?). */
  readonly action: string;
  /** ARN (wildcards in policies match it case-sensitively). */
  readonly resource: string;
  readonly principal: PrincipalInfo;
  /** Request condition keys, case-insensitive names; each value a list (single-valued keys: one element). Absent key = not present. */
  readonly conditions: ReadonlyMap<string, readonly string[]>;
}

export interface MatchedStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly sid?: string;
  readonly principalMatch?: PrincipalMatch;
}

export interface PolicyEvaluation {
  readonly allows: readonly MatchedStatement[];
  readonly denies: readonly MatchedStatement[];
}

type ExtraValue = string | readonly string[] | boolean | number | undefined;

const AWS_PRINCIPAL_TYPE: Readonly<Record<string, string>> = { Root: 'Account', IAMUser: 'User', AssumedRole: 'AssumedRole' };

/** ISO 8601 without milliseconds, as AWS renders aws:CurrentTime. */
const isoSeconds = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

/**
 * The global condition keys every request has — aws:PrincipalArn (the role ARN for a role
 * session), aws:PrincipalAccount, aws:PrincipalType (Account | User | AssumedRole),
 * aws:PrincipalTag/*, aws:PrincipalIsAWSService, aws:userid, aws:username (IAM users),
 * aws:CurrentTime, aws:EpochTime, aws:SourceIp, aws:SecureTransport — plus `extra` (which wins).
 * Names are lower-cased; undefined and empty lists are left out (absent).
 */
export function requestConditions(
  principal: PrincipalInfo,
  env: { readonly now: Date; readonly sourceIp: string; readonly secureTransport: boolean },
  extra?: Readonly<Record<string, ExtraValue>>,
): Map<string, readonly string[]> {
  const m = new Map<string, readonly string[]>();
  const set = (k: string, v: ExtraValue): void => {
    if (v === undefined) return;
    if (typeof v === 'string') m.set(k.toLowerCase(), [v]);
    else if (typeof v === 'boolean' || typeof v === 'number') m.set(k.toLowerCase(), [String(v)]);
    else if (v.length > 0) m.set(k.toLowerCase(), [...v]);
    else m.delete(k.toLowerCase());
  };
  if (principal.type === 'Service') {
    set('aws:PrincipalServiceName', principal.arn);
    set('aws:PrincipalIsAWSService', true);
  } else {
    set('aws:PrincipalArn', principal.type === 'AssumedRole' && principal.roleArn !== undefined ? principal.roleArn : principal.arn);
    set('aws:PrincipalAccount', principal.accountId);
    set('aws:PrincipalType', AWS_PRINCIPAL_TYPE[principal.type]);
    set('aws:PrincipalIsAWSService', false);
    set('aws:userid', principal.userId);
    set('aws:username', principal.type === 'IAMUser' ? principal.username : undefined);
    for (const [k, v] of Object.entries(principal.tags ?? {})) set(`aws:PrincipalTag/${k}`, v);
  }
  set('aws:CurrentTime', isoSeconds(env.now));
  set('aws:EpochTime', String(Math.floor(env.now.getTime() / 1000)));
  set('aws:SourceIp', env.sourceIp);
  set('aws:SecureTransport', env.secureTransport);
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) m.delete(k.toLowerCase());
    else set(k, v);
  }
  return m;
}

/** Maps given with mixed-case names are lower-cased once and remembered. */
const normalized = new WeakMap<ReadonlyMap<string, readonly string[]>, ConditionValues>();

function conditionValues(m: ReadonlyMap<string, readonly string[]>): ConditionValues {
  const known = normalized.get(m);
  if (known) return known;
  let lower = true;
  for (const k of m.keys()) {
    if (k !== k.toLowerCase()) {
      lower = false;
      break;
    }
  }
  const out: ConditionValues = lower ? m : new Map([...m].map(([k, v]) => [k.toLowerCase(), v] as const));
  normalized.set(m, out);
  return out;
}

const NONE: readonly MatchedStatement[] = Object.freeze([]);

/** How the statement names the caller (resource/trust policies); undefined if it does not apply to the caller. */
function principalOf(st: Statement, p: PrincipalInfo): PrincipalMatch | undefined {
  if (st.principal) return matchPrincipal(st.principal, p);
  // NotPrincipal spares the caller only when it names the caller itself (its ARN, its role, or for
  // the root user its account): AWS checks the account and the principal separately, so naming
  // only the account of a user does not spare the user.
  if (st.notPrincipal) return matchPrincipal(st.notPrincipal, p) === 'principal' ? undefined : 'principal';
  return undefined;
}

/** Actions have no variables: no request keys needed. */
const EMPTY_VALUES: ConditionValues = new Map();

function actionApplies(st: Statement, action: string): boolean {
  if (st.action) return anyMatches(st.action, action, EMPTY_VALUES) === true;
  if (st.notAction) return anyMatches(st.notAction, action, EMPTY_VALUES) === false;
  return false;
}

function resourceApplies(st: Statement, resource: string, values: ConditionValues, budget: MatchBudget | undefined): boolean {
  if (st.resource) return anyMatches(st.resource, resource, values, budget) === true;
  if (st.notResource) return anyMatches(st.notResource, resource, values, budget) === false;
  return false;
}

/**
 * With a budget (match-budget.ts), resource and condition matching charge it and may throw
 * MatchBudgetExceeded (actions are Coffer's own short names, not charged).
 */
export function evaluatePolicy(policy: Policy, req: RequestContext, kind: PolicyKind, budget?: MatchBudget): PolicyEvaluation {
  const values = conditionValues(req.conditions);
  const action = req.action.toLowerCase();
  let allows: MatchedStatement[] | undefined;
  let denies: MatchedStatement[] | undefined;
  for (const st of policy.statements) {
    let pm: PrincipalMatch | undefined;
    if (kind !== 'identity') {
      pm = principalOf(st, req.principal);
      if (pm === undefined) continue;
    }
    if (!actionApplies(st, action)) continue;
    if (kind !== 'trust' && !resourceApplies(st, req.resource, values, budget)) continue;
    if (st.conditions.length > 0 && !conditionsHold(st.conditions, values, budget)) continue;
    const m: MatchedStatement = {
      effect: st.effect,
      ...(st.sid !== undefined ? { sid: st.sid } : {}),
      ...(pm !== undefined ? { principalMatch: pm } : {}),
    };
    if (st.effect === 'Allow') (allows ??= []).push(m);
    else (denies ??= []).push(m);
  }
  return { allows: allows ?? NONE, denies: denies ?? NONE };
}
