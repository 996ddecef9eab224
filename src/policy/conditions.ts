/**
 * The Condition element: every IAM condition operator (String*, Numeric*, Date*, Bool, BinaryEquals,
 * IpAddress/NotIpAddress, Arn*, Null), the `...IfExists` forms and the `ForAllValues:` /
 * `ForAnyValue:` set prefixes, compiled once into clauses and evaluated against request keys.
 *
 * Semantics (IAM User Guide, "Condition operators" and "multiple context keys or values"):
 * clauses (operator × key) are ANDed; the values of one key are ORed, and for a negated operator
 * (StringNotEquals, NotIpAddress, ...) the result is "no value matches" (NOR). An absent key makes a
 * positive operator false and a negated one true; `...IfExists` makes it true; `Null` tests
 * presence. `ForAllValues` is true when the key is absent, `ForAnyValue` false (whatever IfExists
 * says). A policy variable that does not resolve makes the clause false.
 */
import { cidrContains, parseCidr, parseIp, type Cidr } from './ip.ts';
import type { MatchBudget } from './match-budget.ts';
import { compileMatcher, matches, type Matcher } from './wildcard.ts';
import { hasVariables, substitute, tokenize, variablesResolve, type ConditionValues, type Token } from './variables.ts';

export type ConditionFamily = 'string' | 'like' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';
export type Comparison = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';

interface OperatorInfo {
  readonly name: string;
  readonly family: ConditionFamily;
  readonly negated: boolean;
  readonly cmp: Comparison;
  readonly ignoreCase: boolean;
}

const op = (name: string, family: ConditionFamily, negated = false, cmp: Comparison = 'eq', ignoreCase = false): OperatorInfo => ({
  name,
  family,
  negated,
  cmp,
  ignoreCase,
});

const OPERATORS: ReadonlyMap<string, OperatorInfo> = new Map(
  [
    op('StringEquals', 'string'),
    op('StringNotEquals', 'string', true),
    op('StringEqualsIgnoreCase', 'string', false, 'eq', true),
    op('StringNotEqualsIgnoreCase', 'string', true, 'eq', true),
    op('StringLike', 'like'),
    op('StringNotLike', 'like', true),
    op('NumericEquals', 'numeric'),
    op('NumericNotEquals', 'numeric', true),
    op('NumericLessThan', 'numeric', false, 'lt'),
    op('NumericLessThanEquals', 'numeric', false, 'lte'),
    op('NumericGreaterThan', 'numeric', false, 'gt'),
    op('NumericGreaterThanEquals', 'numeric', false, 'gte'),
    op('DateEquals', 'date'),
    op('DateNotEquals', 'date', true),
    op('DateLessThan', 'date', false, 'lt'),
    op('DateLessThanEquals', 'date', false, 'lte'),
    op('DateGreaterThan', 'date', false, 'gt'),
    op('DateGreaterThanEquals', 'date', false, 'gte'),
    op('Bool', 'bool'),
    op('BinaryEquals', 'binary'),
    op('IpAddress', 'ip'),
    op('NotIpAddress', 'ip', true),
    op('ArnEquals', 'arn'),
    op('ArnLike', 'arn'),
    op('ArnNotEquals', 'arn', true),
    op('ArnNotLike', 'arn', true),
    op('Null', 'null'),
  ].map((o) => [o.name.toLowerCase(), o] as const),
);

/** An ARN pattern: six colon-delimited components matched separately, or (not ARN-shaped) the whole string. */
export interface ArnPattern {
  readonly parts: readonly Matcher[];
}

/** A string value: literal text, or tokens with variables (resolved per request). */
export type TextValue = string | { readonly tokens: readonly Token[] };

interface ClauseBase {
  /** The operator as written, e.g. `ForAnyValue:StringLikeIfExists`. */
  readonly operator: string;
  /** Lower-cased condition key. */
  readonly key: string;
  readonly set?: 'ForAllValues' | 'ForAnyValue';
  readonly ifExists: boolean;
  readonly negated: boolean;
  /** Some value holds a policy variable. */
  readonly variables: boolean;
}

export type ConditionClause = ClauseBase &
  (
    | { readonly family: 'string'; readonly ignoreCase: boolean; readonly values: readonly TextValue[] }
    | { readonly family: 'like'; readonly values: readonly Matcher[] }
    | { readonly family: 'numeric' | 'date'; readonly cmp: Comparison; readonly values: readonly number[] }
    | { readonly family: 'bool'; readonly values: readonly TextValue[] }
    | { readonly family: 'binary'; readonly values: readonly string[] }
    | { readonly family: 'ip'; readonly values: readonly Cidr[] }
    | { readonly family: 'arn'; readonly values: readonly ArnPattern[] }
    | { readonly family: 'null'; readonly values: readonly boolean[] }
  );

/** Thrown by compileCondition with a reason; parse.ts prefixes the statement number. */
export class ConditionError extends Error {}

export interface ParsedOperator {
  readonly info: OperatorInfo;
  readonly set?: 'ForAllValues' | 'ForAnyValue';
  readonly ifExists: boolean;
}

/** `ForAnyValue:StringLikeIfExists` → its parts; undefined for an unknown operator. Case-insensitive. */
export function parseOperator(name: string): ParsedOperator | undefined {
  let rest = name;
  let set: 'ForAllValues' | 'ForAnyValue' | undefined;
  const lower = name.toLowerCase();
  if (lower.startsWith('forallvalues:')) {
    set = 'ForAllValues';
    rest = name.slice(13);
  } else if (lower.startsWith('foranyvalue:')) {
    set = 'ForAnyValue';
    rest = name.slice(12);
  }
  let base = rest.toLowerCase();
  let ifExists = false;
  if (base.endsWith('ifexists')) {
    ifExists = true;
    base = base.slice(0, -8);
  }
  const info = OPERATORS.get(base);
  if (!info || (ifExists && info.family === 'null')) return undefined;
  return set ? { info, set, ifExists } : { info, ifExists };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const EPOCH = /^\d+(\.\d+)?$/;
const ISO_DATE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

export function parseNumber(s: string): number {
  return NUMBER.test(s) ? Number(s) : Number.NaN;
}

/** ISO 8601 (W3C profile; a time without zone is UTC) or epoch seconds → epoch milliseconds; NaN if neither. */
export function parseDate(s: string): number {
  if (EPOCH.test(s)) return Number(s) * 1000;
  if (!ISO_DATE.test(s)) return Number.NaN;
  const hasZone = /T.*(Z|[+-]\d{2}:?\d{2})$/.test(s);
  return Date.parse(s.includes('T') && !hasZone ? `${s}Z` : s);
}

const canonicalBase64 = (s: string): string => Buffer.from(s, 'base64').toString('base64');

function textValue(raw: string, variables: boolean, lower: boolean): TextValue {
  const tokens = tokenize(raw, { variables, wildcards: false });
  if (hasVariables(tokens)) return { tokens };
  const text = tokens.join('');
  return lower ? text.toLowerCase() : text;
}

function arnPattern(raw: string, variables: boolean): ArnPattern {
  const tokens = tokenize(raw, { variables, wildcards: true });
  // Split literal text at the first five colons (a colon inside `${aws:...}` is not a separator).
  const parts: Token[][] = [[]];
  for (const t of tokens) {
    if (typeof t !== 'string') {
      (parts[parts.length - 1] as Token[]).push(t);
      continue;
    }
    let rest = t;
    let i: number;
    while (parts.length < 6 && (i = rest.indexOf(':')) >= 0) {
      if (i > 0) (parts[parts.length - 1] as Token[]).push(rest.slice(0, i));
      parts.push([]);
      rest = rest.slice(i + 1);
    }
    if (rest !== '') (parts[parts.length - 1] as Token[]).push(rest);
  }
  if (parts.length < 6) return { parts: [compileMatcher(tokens)] };
  return { parts: parts.map((p) => compileMatcher(p.length === 0 ? [''] : p)) };
}

/**
 * Compiles one `"Operator": {"key": value(s)}` entry. `values` are the policy's values as strings
 * (numbers and booleans already stringified). Throws ConditionError with a reason.
 */
export function compileCondition(operator: string, parsed: ParsedOperator, key: string, values: readonly string[], variables: boolean): ConditionClause {
  const { info } = parsed;
  const bad = (v: string): never => {
    throw new ConditionError(`has an invalid ${info.name} value '${v}' for condition key '${key}'`);
  };
  const base = {
    operator,
    key: key.toLowerCase(),
    ...(parsed.set ? { set: parsed.set } : {}),
    ifExists: parsed.ifExists,
    negated: info.negated,
  };
  switch (info.family) {
    case 'string': {
      const vs = values.map((v) => textValue(v, variables, info.ignoreCase));
      return { ...base, family: 'string', ignoreCase: info.ignoreCase, values: vs, variables: vs.some((v) => typeof v !== 'string') };
    }
    case 'like': {
      const ms = values.map((v) => compileMatcher(tokenize(v, { variables, wildcards: true })));
      return { ...base, family: 'like', values: ms, variables: ms.some((m) => m.kind === 'template') };
    }
    case 'numeric':
    case 'date': {
      const parse = info.family === 'numeric' ? parseNumber : parseDate;
      const ns = values.map((v) => {
        const n = parse(v);
        return Number.isFinite(n) ? n : bad(v);
      });
      return { ...base, family: info.family, cmp: info.cmp, values: ns, variables: false };
    }
    case 'bool': {
      const vs = values.map((v) => {
        const t = textValue(v, variables, true);
        return typeof t === 'string' && t !== 'true' && t !== 'false' ? bad(v) : t;
      });
      return { ...base, family: 'bool', values: vs, variables: vs.some((v) => typeof v !== 'string') };
    }
    case 'binary': {
      const vs = values.map((v) => (v !== '' && BASE64.test(v) ? canonicalBase64(v) : bad(v)));
      return { ...base, family: 'binary', values: vs, variables: false };
    }
    case 'ip': {
      const vs = values.map((v) => parseCidr(v) ?? bad(v));
      return { ...base, family: 'ip', values: vs, variables: false };
    }
    case 'arn': {
      const vs = values.map((v) => arnPattern(v, variables));
      return { ...base, family: 'arn', values: vs, variables: vs.some((p) => p.parts.some((m) => m.kind === 'template')) };
    }
    case 'null': {
      const vs = values.map((v) => {
        const l = v.toLowerCase();
        return l === 'true' ? true : l === 'false' ? false : bad(v);
      });
      return { ...base, family: 'null', values: vs, variables: false };
    }
  }
}

function compare(cmp: Comparison, a: number, b: number): boolean {
  switch (cmp) {
    case 'eq':
      return a === b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
  }
}

const resolveText = (v: TextValue, values: ConditionValues): string =>
  typeof v === 'string' ? v : (substitute(v.tokens, values) ?? '');

/** The six components of an ARN (the sixth keeps its colons), or undefined when it has fewer. */
function arnComponents(s: string): string[] | undefined {
  const out: string[] = [];
  let from = 0;
  for (let k = 0; k < 5; k++) {
    const i = s.indexOf(':', from);
    if (i < 0) return undefined;
    out.push(s.slice(from, i));
    from = i + 1;
  }
  out.push(s.slice(from));
  return out;
}

function arnMatches(p: ArnPattern, value: string, comps: readonly string[] | undefined, values: ConditionValues, budget?: MatchBudget): boolean {
  if (p.parts.length === 1) return matches(p.parts[0] as Matcher, value, values, budget) === true;
  if (!comps) return false;
  for (let i = 0; i < 6; i++) if (matches(p.parts[i] as Matcher, comps[i] as string, values, budget) !== true) return false;
  return true;
}

/** Whether one request value matches any of the clause's values under the positive operator. */
function matchesAny(c: ConditionClause, x: string, values: ConditionValues, budget?: MatchBudget): boolean {
  switch (c.family) {
    case 'string': {
      const rv = c.ignoreCase ? x.toLowerCase() : x;
      for (const v of c.values) {
        const s = resolveText(v, values);
        budget?.charge(s.length);
        if ((c.ignoreCase && typeof v !== 'string' ? s.toLowerCase() : s) === rv) return true;
      }
      return false;
    }
    case 'like':
      for (const m of c.values) if (matches(m, x, values, budget) === true) return true;
      return false;
    case 'numeric':
    case 'date': {
      const n = c.family === 'numeric' ? parseNumber(x) : parseDate(x);
      if (Number.isNaN(n)) return false;
      for (const v of c.values) if (compare(c.cmp, n, v)) return true;
      return false;
    }
    case 'bool': {
      const rv = x.toLowerCase();
      for (const v of c.values) {
        const s = resolveText(v, values);
        budget?.charge(s.length);
        if (s.toLowerCase() === rv) return true;
      }
      return false;
    }
    case 'binary': {
      if (!BASE64.test(x)) return false;
      const rv = canonicalBase64(x);
      return c.values.includes(rv);
    }
    case 'ip': {
      const ip = parseIp(x);
      if (!ip) return false;
      for (const v of c.values) if (cidrContains(v, ip)) return true;
      return false;
    }
    case 'arn': {
      const comps = arnComponents(x);
      for (const p of c.values) if (arnMatches(p, x, comps, values, budget)) return true;
      return false;
    }
    case 'null':
      return false;
  }
}

function clauseVariablesResolve(c: ConditionClause, values: ConditionValues): boolean {
  switch (c.family) {
    case 'string':
    case 'bool':
      return c.values.every((v) => typeof v === 'string' || variablesResolve(v.tokens, values));
    case 'like':
      return c.values.every((m) => m.kind !== 'template' || variablesResolve(m.tokens, values));
    case 'arn':
      return c.values.every((p) => p.parts.every((m) => m.kind !== 'template' || variablesResolve(m.tokens, values)));
    default:
      return true;
  }
}

/**
 * One clause against the request's keys. With a budget, each request value read (lower-cased,
 * parsed, split) is charged its length, and each match its own cost.
 */
export function evaluateClause(c: ConditionClause, values: ConditionValues, budget?: MatchBudget): boolean {
  if (c.variables && !clauseVariablesResolve(c, values)) return false;
  const got = values.get(c.key);
  const present = got !== undefined && got.length > 0;
  if (c.family === 'null') return c.values.includes(!present);
  const one = (x: string): boolean => {
    budget?.charge(x.length);
    return matchesAny(c, x, values, budget);
  };
  if (c.set === 'ForAllValues') {
    if (!present) return true;
    for (const x of got) if (one(x) === c.negated) return false;
    return true;
  }
  if (c.set === 'ForAnyValue') {
    if (!present) return false;
    for (const x of got) if (one(x) !== c.negated) return true;
    return false;
  }
  if (!present) return c.ifExists || c.negated;
  let any = false;
  for (const x of got) {
    if (one(x)) {
      any = true;
      break;
    }
  }
  return any !== c.negated;
}

/** All clauses hold (logical AND). */
export function conditionsHold(clauses: readonly ConditionClause[], values: ConditionValues, budget?: MatchBudget): boolean {
  for (const c of clauses) if (!evaluateClause(c, values, budget)) return false;
  return true;
}
