/**
 * Parses an AWS policy document once into normalized statements: lists for every element,
 * lower-cased action patterns, compiled wildcard matchers, principal sets and condition clauses.
 * Anything malformed is a MalformedPolicyDocumentException with a short reason; an oversized
 * document is a LimitExceededException. Evaluation (evaluate.ts) never re-reads the JSON.
 *
 * Kinds: 'resource' (a KMS key policy: Principal required; a statement without Action or Resource
 * is accepted and matches nothing), 'identity' (IAM user/group/role policy: no Principal; Action
 * and Resource required), 'trust' (role trust policy: Principal and an sts:AssumeRole* Action; no
 * Resource). Version 2012-10-17 enables policy variables; 2008-10-17 (the default when Version is
 * absent) treats `${...}` literally.
 */
import { LimitExceededException, MalformedPolicyDocumentException } from '../errors/kms-errors.ts';
import { ConditionError, compileCondition, parseOperator, type ConditionClause } from './conditions.ts';
import { parsePrincipal, type PrincipalSet } from './principals.ts';
import { compileMatcher, matches, type Matcher } from './wildcard.ts';
import { tokenize } from './variables.ts';

export type PolicyKind = 'resource' | 'identity' | 'trust';

export interface Statement {
  /** 1-based position in the document. */
  readonly index: number;
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly principal?: PrincipalSet;
  readonly notPrincipal?: PrincipalSet;
  /** Lower-cased action patterns. */
  readonly action?: readonly Matcher[];
  readonly notAction?: readonly Matcher[];
  readonly resource?: readonly Matcher[];
  readonly notResource?: readonly Matcher[];
  /** Clauses (operator × key), all of which must hold. */
  readonly conditions: readonly ConditionClause[];
}

export interface Policy {
  readonly version: string;
  readonly id?: string;
  readonly statements: readonly Statement[];
  readonly text: string;
}

export interface ParseOptions {
  /**
   * Size limit. Resource (key) policies count UTF-8 bytes; identity and trust policies count
   * characters other than white space, as IAM does. Defaults: DEFAULT_MAX_SIZE.
   */
  readonly maxBytes?: number;
}

/**
 * AWS quotas: key policy 32 KB; IAM managed policy and inline user policy 6,144 characters
 * (inline role 10,240, inline group 5,120: pass maxBytes); role trust policy 2,048 characters.
 */
export const DEFAULT_MAX_SIZE: Readonly<Record<PolicyKind, number>> = { resource: 32_768, identity: 6_144, trust: 2_048 };

/** The size parsePolicy compares with the limit for this kind. */
export function policySize(text: string, kind: PolicyKind): number {
  if (kind === 'resource') return Buffer.byteLength(text, 'utf8');
  return text.replace(/\s+/g, '').length;
}

const TOP_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const ACTION = /^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+)$/;
const CONDITION_KEY = /^[A-Za-z0-9-]+:\S+$/;
const ASSUME_ROLE_ACTIONS = ['sts:assumerole', 'sts:assumerolewithsaml', 'sts:assumerolewithwebidentity'];
const NO_VALUES: ReadonlyMap<string, readonly string[]> = new Map();

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function malformed(reason: string): never {
  throw new MalformedPolicyDocumentException(reason);
}

const stringList = (v: unknown): readonly string[] | undefined =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/** Condition values as strings: a string, number or boolean, or a non-empty list of them. */
function conditionValues(v: unknown): readonly string[] | undefined {
  const one = (x: unknown): string | undefined =>
    typeof x === 'string' ? x : typeof x === 'number' && Number.isFinite(x) ? String(x) : typeof x === 'boolean' ? String(x) : undefined;
  if (!Array.isArray(v)) {
    const s = one(v);
    return s === undefined ? undefined : [s];
  }
  if (v.length === 0) return undefined;
  const out: string[] = [];
  for (const x of v) {
    const s = one(x);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

function parseConditions(n: number, c: unknown, variables: boolean): ConditionClause[] {
  if (!isObject(c)) malformed(`Statement ${n} has an invalid Condition`);
  const out: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(c)) {
    const parsed = parseOperator(operator);
    if (!parsed) malformed(`Statement ${n} has an unknown condition operator '${operator}'`);
    if (!isObject(block)) malformed(`Statement ${n} has an invalid Condition block for '${operator}'`);
    for (const [key, raw] of Object.entries(block)) {
      if (!CONDITION_KEY.test(key)) malformed(`Statement ${n} has an invalid condition key '${key}'`);
      const values = conditionValues(raw);
      if (!values) malformed(`Statement ${n} has an invalid value for condition key '${key}'`);
      try {
        out.push(compileCondition(operator, parsed, key, values, variables));
      } catch (e) {
        if (e instanceof ConditionError) malformed(`Statement ${n} ${e.message}`);
        throw e;
      }
    }
  }
  return out;
}

function parseStatement(n: number, st: unknown, kind: PolicyKind, variables: boolean): Statement {
  if (!isObject(st)) malformed(`Statement ${n} is not an object`);
  for (const k of Object.keys(st)) if (!STATEMENT_KEYS.has(k)) malformed(`Statement ${n} has an unknown element '${k}'`);
  const both = (a: string, b: string): void => {
    if (st[a] !== undefined && st[b] !== undefined) malformed(`Statement ${n} has both ${a} and ${b}`);
  };
  both('Principal', 'NotPrincipal');
  both('Action', 'NotAction');
  both('Resource', 'NotResource');

  if (st.Sid !== undefined && typeof st.Sid !== 'string') malformed(`Statement ${n} has a Sid that is not a string`);
  if (st.Effect === undefined) malformed(`Statement ${n} has no Effect`);
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') malformed(`Statement ${n} has an invalid Effect '${String(st.Effect)}'`);

  // Principal
  const hasPrincipal = st.Principal !== undefined || st.NotPrincipal !== undefined;
  if (kind === 'identity' && hasPrincipal) malformed(`Statement ${n} has a Principal, which identity-based policies must not have`);
  if (kind === 'resource' && !hasPrincipal) malformed('Policy contains a statement with no principal.');
  if (kind === 'trust' && !hasPrincipal) malformed(`Statement ${n} has no Principal or NotPrincipal`);
  let principal: PrincipalSet | undefined;
  let notPrincipal: PrincipalSet | undefined;
  if (st.Principal !== undefined) principal = parsePrincipal(st.Principal) ?? malformed('Policy contains a statement with one or more invalid principals.');
  if (st.NotPrincipal !== undefined) notPrincipal = parsePrincipal(st.NotPrincipal) ?? malformed('Policy contains a statement with one or more invalid principals.');

  // Action
  const actions = (name: 'Action' | 'NotAction'): Matcher[] | undefined => {
    if (st[name] === undefined) return undefined;
    const list = stringList(st[name]) ?? malformed(`Statement ${n} has an invalid ${name}`);
    return list.map((a) => {
      if (!ACTION.test(a)) malformed(`Statement ${n} has an invalid ${name} '${a}'`);
      return compileMatcher(tokenize(a.toLowerCase(), { variables: false, wildcards: true }));
    });
  };
  const action = actions('Action');
  const notAction = actions('NotAction');
  if (kind !== 'resource' && !action && !notAction) malformed(`Statement ${n} has no Action or NotAction`);
  if (kind === 'trust') {
    const list = stringList(st.Action);
    if (!action || !list) malformed(`Statement ${n} of a trust policy must have an Action sts:AssumeRole*`);
    const bad = list.find((a) => !a.toLowerCase().startsWith('sts:'));
    if (bad !== undefined) malformed(`Statement ${n} of a trust policy has a non-STS Action '${bad}'`);
    if (!action.some((m) => ASSUME_ROLE_ACTIONS.some((a) => matches(m, a, NO_VALUES) === true))) {
      malformed(`Statement ${n} of a trust policy must have an Action sts:AssumeRole*`);
    }
  }

  // Resource
  const resources = (name: 'Resource' | 'NotResource'): Matcher[] | undefined => {
    if (st[name] === undefined) return undefined;
    const list = stringList(st[name]) ?? malformed(`Statement ${n} has an invalid ${name}`);
    return list.map((r) => {
      if (r === '' || (kind === 'identity' && r !== '*' && !r.startsWith('arn:'))) malformed(`Statement ${n} has an invalid ${name} '${r}'`);
      return compileMatcher(tokenize(r, { variables, wildcards: true }));
    });
  };
  const resource = resources('Resource');
  const notResource = resources('NotResource');
  if (kind === 'identity' && !resource && !notResource) malformed(`Statement ${n} has no Resource or NotResource`);
  if (kind === 'trust' && (resource || notResource)) malformed(`Statement ${n} of a trust policy must not have a Resource`);

  const conditions = st.Condition === undefined ? [] : parseConditions(n, st.Condition, variables);
  return {
    index: n,
    ...(st.Sid !== undefined ? { sid: st.Sid as string } : {}),
    effect: st.Effect,
    ...(principal ? { principal } : {}),
    ...(notPrincipal ? { notPrincipal } : {}),
    ...(action ? { action } : {}),
    ...(notAction ? { notAction } : {}),
    ...(resource ? { resource } : {}),
    ...(notResource ? { notResource } : {}),
    conditions,
  };
}

export function parsePolicy(text: string, kind: PolicyKind, options?: ParseOptions): Policy {
  const max = options?.maxBytes ?? DEFAULT_MAX_SIZE[kind];
  if (policySize(text, kind) > max) {
    throw new LimitExceededException(`Policy document exceeds the maximum size of ${max} ${kind === 'resource' ? 'bytes' : 'characters'}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return malformed('Policy document is not valid JSON');
  }
  if (!isObject(doc)) malformed('Policy document must be a JSON object');
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) malformed(`Policy document has an unknown element '${k}'`);
  const version = doc.Version ?? '2008-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') malformed(`Policy Version '${String(version)}' is not supported`);
  if (doc.Id !== undefined && typeof doc.Id !== 'string') malformed('Policy Id must be a string');
  const raw = doc.Statement;
  if (raw === undefined) malformed('Policy document has no Statement');
  const list = Array.isArray(raw) ? raw : isObject(raw) ? [raw] : malformed('Policy document has an invalid Statement');
  if (list.length === 0) malformed('Policy document has no Statement');
  const variables = version === '2012-10-17';
  const statements = list.map((st, i) => parseStatement(i + 1, st, kind, variables));
  if (kind !== 'resource') {
    const seen = new Set<string>();
    for (const s of statements) {
      if (s.sid === undefined || s.sid === '') continue;
      if (seen.has(s.sid)) malformed(`Statement IDs (SID) must be unique: '${s.sid}' appears twice`);
      seen.add(s.sid);
    }
  }
  return { version, ...(typeof doc.Id === 'string' ? { id: doc.Id } : {}), statements, text };
}
