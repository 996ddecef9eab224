/**
 * Wildcard patterns (`*` any run of characters, `?` exactly one), compiled once: a literal becomes
 * a string comparison, a pattern a RegExp; a pattern with policy variables stays as tokens and is
 * matched by a small backtracking glob after the variables resolve (substituted text is literal).
 */
import { QMARK, STAR, resolveVariable, variablesResolve, type ConditionValues, type Token } from './variables.ts';

export type Matcher =
  | { readonly kind: 'any' }
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'regex'; readonly re: RegExp }
  | { readonly kind: 'template'; readonly tokens: readonly Token[] };

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileMatcher(tokens: readonly Token[]): Matcher {
  if (tokens.some((t) => typeof t === 'object')) return { kind: 'template', tokens };
  if (tokens.length === 1 && tokens[0] === STAR) return { kind: 'any' };
  if (tokens.every((t) => typeof t === 'string')) return { kind: 'exact', value: tokens.join('') };
  let src = '';
  for (const t of tokens) src += t === STAR ? '.*' : t === QMARK ? '.' : escapeRe(t as string);
  return { kind: 'regex', re: new RegExp(`^${src}$`, 's') };
}

/** Glob over tokens; variables must resolve (checked by the caller). */
function glob(tokens: readonly Token[], text: string, values: ConditionValues): boolean {
  const n = tokens.length;
  let ti = 0;
  let p = 0;
  let starTi = -1;
  let starP = 0;
  for (;;) {
    if (ti < n) {
      const t = tokens[ti] as Token;
      if (t === STAR) {
        starTi = ti;
        starP = p;
        ti++;
        continue;
      }
      if (t === QMARK) {
        if (p < text.length) {
          ti++;
          p++;
          continue;
        }
      } else {
        const lit = typeof t === 'string' ? t : (resolveVariable(t, values) ?? '');
        if (text.startsWith(lit, p)) {
          p += lit.length;
          ti++;
          continue;
        }
      }
    } else if (p === text.length) return true;
    if (starTi < 0 || starP >= text.length) return false;
    starP++;
    p = starP;
    ti = starTi + 1;
  }
}

/** Whether `text` matches; undefined when a policy variable in the pattern does not resolve. */
export function matches(m: Matcher, text: string, values: ConditionValues): boolean | undefined {
  switch (m.kind) {
    case 'any':
      return true;
    case 'exact':
      return m.value === text;
    case 'regex':
      return m.re.test(text);
    case 'template':
      return variablesResolve(m.tokens, values) ? glob(m.tokens, text, values) : undefined;
  }
}

/**
 * Whether any matcher matches: true / false, or undefined when a variable in any of them does not
 * resolve (AWS: the statement then does not apply, whatever the other values say).
 */
export function anyMatches(ms: readonly Matcher[], text: string, values: ConditionValues): boolean | undefined {
  let hit = false;
  for (const m of ms) {
    const r = matches(m, text, values);
    if (r === undefined) return undefined;
    if (r) hit = true;
  }
  return hit;
}
