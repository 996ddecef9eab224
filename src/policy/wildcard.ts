/**
 * Wildcard patterns (`*` any run of characters, `?` exactly one) of policies — actions, resources,
 * ARN and string conditions — compiled once: a literal becomes a string comparison, `*` alone
 * matches everything, any other pattern becomes a glob (glob.ts: no regular expression, no
 * backtracking across a star). A pattern with policy variables stays as tokens until a request
 * resolves them; the substituted text is literal (a `*` in a user name is not a wildcard), and the
 * same glob algorithm matches it. Case handling is the caller's (actions arrive lower-cased).
 */
import { compileGlob, globCost, globMatches, type Glob, type GlobPart } from './glob.ts';
import type { MatchBudget } from './match-budget.ts';
import { QMARK, STAR, resolveVariable, type ConditionValues, type Token } from './variables.ts';

export type Matcher =
  | { readonly kind: 'any' }
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'glob'; readonly glob: Glob }
  | { readonly kind: 'template'; readonly tokens: readonly Token[] };

export function compileMatcher(tokens: readonly Token[]): Matcher {
  if (tokens.some((t) => typeof t === 'object')) return { kind: 'template', tokens };
  if (tokens.length === 1 && tokens[0] === STAR) return { kind: 'any' };
  if (tokens.every((t) => typeof t === 'string')) return { kind: 'exact', value: tokens.join('') };
  return { kind: 'glob', glob: compileGlob(tokens as readonly GlobPart[]) };
}

/**
 * A pattern with variables against a text: undefined when a variable does not resolve. The code
 * units the pattern needs (literal text, `?`, substituted values) are counted before anything is
 * built: when they outnumber the text's it cannot match, so building costs at most the text's length.
 */
function matchTemplate(tokens: readonly Token[], text: string, values: ConditionValues, budget: MatchBudget | undefined): boolean | undefined {
  let needed = 0;
  for (const t of tokens) {
    if (t === STAR) continue;
    if (t === QMARK) needed++;
    else if (typeof t === 'string') needed += t.length;
    else {
      const v = resolveVariable(t, values);
      if (v === undefined) return undefined;
      needed += v.length;
    }
  }
  if (needed > text.length) return false;
  const parts = tokens.map((t): GlobPart => (typeof t === 'object' ? (resolveVariable(t, values) as string) : t));
  const glob = compileGlob(parts);
  budget?.charge(glob.size + globCost(glob, text.length)); // building it, then matching it
  return globMatches(glob, text);
}

/**
 * Whether `text` matches; undefined when a policy variable in the pattern does not resolve. With a
 * budget (match-budget.ts), a glob charges its cost before it runs.
 */
export function matches(m: Matcher, text: string, values: ConditionValues, budget?: MatchBudget): boolean | undefined {
  switch (m.kind) {
    case 'any':
      return true;
    case 'exact':
      return m.value === text;
    case 'glob':
      budget?.charge(globCost(m.glob, text.length));
      return globMatches(m.glob, text);
    case 'template':
      return matchTemplate(m.tokens, text, values, budget);
  }
}

/**
 * Whether any matcher matches: true / false, or undefined when a variable in any of them does not
 * resolve (AWS: the statement then does not apply, whatever the other values say).
 */
export function anyMatches(ms: readonly Matcher[], text: string, values: ConditionValues, budget?: MatchBudget): boolean | undefined {
  let hit = false;
  for (const m of ms) {
    const r = matches(m, text, values, budget);
    if (r === undefined) return undefined;
    if (r) hit = true;
  }
  return hit;
}
