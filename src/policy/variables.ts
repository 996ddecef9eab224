/**
 * Policy strings compiled once into tokens: literal text, the wildcards `*` and `?`, and policy
 * variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`; `${*}`, `${?}`, `${$}` are
 * the literal characters). A request resolves variables from its condition keys; a substituted
 * value is always literal text (a `*` in a user name is not a wildcard).
 */

/** Request condition keys: lower-cased names, each a list of values (absent key = not present). */
export type ConditionValues = ReadonlyMap<string, readonly string[]>;

export const STAR = 0;
export const QMARK = 1;

export interface VarToken {
  /** Lower-cased condition key name. */
  readonly key: string;
  /** The `'default'` of `${key, 'default'}`. */
  readonly fallback?: string;
}

export type Token = string | typeof STAR | typeof QMARK | VarToken;

export interface TokenizeOptions {
  /** Expand `${...}` (policies of Version 2012-10-17 only). */
  readonly variables: boolean;
  /** `*` and `?` are wildcards (otherwise literal characters). */
  readonly wildcards: boolean;
}

/** The variable at `text[start] === '$'`, or undefined when `${` does not open a well-formed one. */
function readVariable(text: string, start: number): { readonly token: Token; readonly end: number } | undefined {
  if (text[start + 1] !== '{') return undefined;
  let i = start + 2;
  while (i < text.length && text[i] !== '}' && text[i] !== ',') i++;
  if (i >= text.length) return undefined;
  const name = text.slice(start + 2, i).trim();
  if (name === '') return undefined;
  if (text[i] === '}') {
    if (name === '*' || name === '?' || name === '$') return { token: name, end: i + 1 };
    return { token: { key: name.toLowerCase() }, end: i + 1 };
  }
  // `, 'default'` — quotes inside the default are doubled.
  i++;
  while (text[i] === ' ') i++;
  if (text[i] !== "'") return undefined;
  i++;
  let fallback = '';
  for (;;) {
    if (i >= text.length) return undefined;
    if (text[i] === "'") {
      if (text[i + 1] === "'") {
        fallback += "'";
        i += 2;
        continue;
      }
      i++;
      break;
    }
    fallback += text[i];
    i++;
  }
  while (text[i] === ' ') i++;
  if (text[i] !== '}') return undefined;
  return { token: { key: name.toLowerCase(), fallback }, end: i + 1 };
}

export function tokenize(text: string, o: TokenizeOptions): Token[] {
  const out: Token[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') out.push(lit);
    lit = '';
  };
  for (let i = 0; i < text.length; ) {
    const ch = text[i] as string;
    if (o.wildcards && (ch === '*' || ch === '?')) {
      flush();
      out.push(ch === '*' ? STAR : QMARK);
      i++;
      continue;
    }
    if (o.variables && ch === '$') {
      const v = readVariable(text, i);
      if (v) {
        if (typeof v.token === 'string') lit += v.token;
        else {
          flush();
          out.push(v.token);
        }
        i = v.end;
        continue;
      }
    }
    lit += ch;
    i++;
  }
  flush();
  return out;
}

export const hasVariables = (tokens: readonly Token[]): boolean => tokens.some((t) => typeof t === 'object');

/** A variable's value: the key's single value, else its default, else undefined (unresolvable). */
export function resolveVariable(t: VarToken, values: ConditionValues): string | undefined {
  const v = values.get(t.key);
  if (v !== undefined && v.length === 1) return v[0];
  return t.fallback;
}

/** Whether every variable in the tokens resolves in this request. */
export function variablesResolve(tokens: readonly Token[], values: ConditionValues): boolean {
  for (const t of tokens) if (typeof t === 'object' && resolveVariable(t, values) === undefined) return false;
  return true;
}

/** The tokens as text with variables substituted (wildcard tokens as `*`/`?`); undefined if one does not resolve. */
export function substitute(tokens: readonly Token[], values: ConditionValues): string | undefined {
  let s = '';
  for (const t of tokens) {
    if (typeof t === 'string') s += t;
    else if (t === STAR) s += '*';
    else if (t === QMARK) s += '?';
    else {
      const v = resolveVariable(t, values);
      if (v === undefined) return undefined;
      s += v;
    }
  }
  return s;
}
