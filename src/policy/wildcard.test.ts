/**
 * The wildcard matcher: checked against a plain dynamic-programming reference on thousands of
 * random patterns (literal text, `*`, `?`, `${*}`/`${?}`, policy variables whose values hold `*`
 * and `?`) and texts, and timed on the inputs that made the old backtracking RegExp run for
 * seconds to minutes, at the largest sizes the model and Coffer's limits allow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileMatcher, matches } from './wildcard.ts';
import { tokenize, type ConditionValues } from './variables.ts';
import { prng as rng } from '../../test/support/prng.ts';

/** The pattern as the reference sees it: code units, `?` (any one) and `*` (any run). */
type Unit = number | 'ANY' | 'STAR';

/** O(|text|·|pattern|) table: m[i][j] = the first i pattern units match the first j code units. */
function reference(units: readonly Unit[], text: string): boolean {
  let prev = new Array<boolean>(text.length + 1).fill(false);
  prev[0] = true;
  for (const u of units) {
    const cur = new Array<boolean>(text.length + 1).fill(false);
    for (let j = 0; j <= text.length; j++) {
      if (u === 'STAR') cur[j] = prev[j] === true || (j > 0 && cur[j - 1] === true);
      else if (j > 0 && prev[j - 1] === true) cur[j] = u === 'ANY' || text.charCodeAt(j - 1) === u;
    }
    prev = cur;
  }
  return prev[text.length] === true;
}

/** Text characters: a small alphabet (so matches happen), `*` and `?` as plain text, and a pair. */
const TEXT_CHARS = ['a', 'a', 'b', 'b', '/', '*', '?', '\u{1F600}'];
const codeUnits = (s: string): number[] => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));

interface Piece { readonly source: string; readonly units: (v: ConditionValues) => Unit[] | undefined }

const lit = (c: string): Piece => ({ source: c, units: () => codeUnits(c) });
const resolved = (key: string, fallback?: string) => (v: ConditionValues): Unit[] | undefined => {
  const got = v.get(key);
  if (got !== undefined && got.length === 1) return codeUnits(got[0] as string);
  return fallback === undefined ? undefined : codeUnits(fallback);
};

/**
 * One piece of a pattern. A `long` pattern has few stars (so `?` segments pass a 32-bit word) and
 * no unresolvable variable (which would decide the answer alone).
 */
function randomPiece(r: () => number, long: boolean): Piece {
  const x = r();
  if (long && ((x >= 0.3 && x < 0.5 && r() < 0.9) || x >= 0.96)) return lit('a');
  if (x < 0.3) return lit((['a', 'b', 'aa', 'ab', '/', '\u{1F600}'] as const)[Math.floor(r() * 6)] as string);
  if (x < 0.5) return { source: '*', units: () => ['STAR'] };
  if (x < 0.7) return { source: '?', units: () => ['ANY'] };
  if (x < 0.76) return { source: '${*}', units: () => codeUnits('*') };
  if (x < 0.8) return { source: '${?}', units: () => codeUnits('?') };
  if (x < 0.9) return { source: '${aws:username}', units: resolved('aws:username') };
  if (x < 0.96) return { source: "${coffer:absent, 'a*?'}", units: resolved('coffer:absent', 'a*?') };
  return { source: '${coffer:absent}', units: resolved('coffer:absent') };
}

const randomText = (r: () => number, max: number): string =>
  Array.from({ length: Math.floor(r() * (max + 1)) }, () => TEXT_CHARS[Math.floor(r() * TEXT_CHARS.length)] as string).join('');

/** A text the pattern matches (stars and `?` filled at random), then perhaps spoiled by an edit or two. */
function textFor(r: () => number, units: readonly Unit[]): string {
  let s = '';
  for (const u of units) {
    if (u === 'STAR') s += randomText(r, 3);
    else if (u === 'ANY') s += String.fromCharCode('ab/*'.charCodeAt(Math.floor(r() * 4)));
    else s += String.fromCharCode(u);
  }
  for (let edits = r() < 0.4 ? 0 : 1 + Math.floor(r() * 2); edits > 0; edits--) {
    const at = Math.floor(r() * (s.length + 1));
    const edit = r();
    const c = randomText(r, 1);
    s = edit < 0.25 ? s.slice(0, at) + c + s.slice(at) : edit < 0.75 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + c + s.slice(at + 1);
  }
  return s;
}

test('property: the matcher agrees with a dynamic-programming reference on random patterns', () => {
  const seed = Number(process.env.WILDCARD_SEED ?? 20261124);
  const r = rng(seed);
  let matched = 0;
  for (let n = 0; n < 6000; n++) {
    // Mostly short patterns; every tenth long, with few stars, so `?` segments pass one 32-bit word.
    const long = n % 10 === 0;
    const pieces = Array.from({ length: Math.floor(r() * (long ? 90 : 12)) }, () => randomPiece(r, long));
    const values: ConditionValues = new Map([['aws:username', [randomText(r, 4)]]]);
    const source = pieces.map((p) => p.source).join('');
    const parts = pieces.map((p) => p.units(values));
    const resolvable = parts.every((p) => p !== undefined);
    // Half the texts are random, half are made from the pattern (so that matches and near misses abound).
    const text = resolvable && r() < 0.5 ? textFor(r, parts.flat() as Unit[]) : randomText(r, long ? 120 : 16);
    const want = resolvable ? reference(parts.flat() as Unit[], text) : undefined;
    const got = matches(compileMatcher(tokenize(source, { variables: true, wildcards: true })), text, values);
    if (got !== want) {
      assert.fail(`seed ${seed}, case ${n}: pattern ${JSON.stringify(source)} with aws:username ${JSON.stringify(values.get('aws:username'))} `
        + `against ${JSON.stringify(text)}: got ${String(got)}, reference ${String(want)}`);
    }
    if (got === true) matched++;
  }
  // The cases must exercise both answers, or the comparison proves little.
  assert.ok(matched > 1500 && matched < 4500, `${matched} of 6000 cases matched`);
});

const m = (pattern: string): ReturnType<typeof compileMatcher> => compileMatcher(tokenize(pattern, { variables: true, wildcards: true }));
const NONE: ConditionValues = new Map();

test('semantics: fast paths, anchors, empty segments, code units', () => {
  assert.deepEqual(m('*'), { kind: 'any' });
  assert.deepEqual(m('kms:Decrypt'), { kind: 'exact', value: 'kms:Decrypt' });
  assert.equal(m('kms:Generate*').kind, 'glob');
  assert.equal(matches(m('kms:Generate*'), 'kms:GenerateDataKey', NONE), true);
  assert.equal(matches(m('kms:Generate*'), 'kms:Encrypt', NONE), false);
  assert.equal(matches(m('a**b'), 'ab', NONE), true);
  assert.equal(matches(m('ab*ba'), 'aba', NONE), false); // prefix and suffix may not overlap
  assert.equal(matches(m('ab*ba'), 'abba', NONE), true);
  assert.equal(matches(m('*aa*aa*'), 'aaa', NONE), false); // middle segments may not overlap either
  assert.equal(matches(m('*aa*aa*'), 'aaaa', NONE), true);
  assert.equal(matches(m('*a?c*'), 'xxabcabc', NONE), true);
  assert.equal(matches(m('?'), '\u{1F600}', NONE), false); // one code unit, not one code point
  assert.equal(matches(m('??'), '\u{1F600}', NONE), true);
  assert.equal(matches(m('a.c(*'), 'abc(', NONE), false); // no regular-expression syntax
});

test('semantics: substituted variables are literal text', () => {
  const v: ConditionValues = new Map([['aws:username', ['a*b?']]]);
  assert.equal(matches(m('home/${aws:username}'), 'home/a*b?', v), true);
  assert.equal(matches(m('home/${aws:username}'), 'home/axxbz', v), false);
  assert.equal(matches(m('*${aws:username}*'), 'x-a*b?-y', v), true);
  assert.equal(matches(m('*${aws:username}*'), 'x-ab-y', v), false);
  assert.equal(matches(m('${coffer:absent}*'), 'anything', v), undefined);
  // A value longer than the text is never built into a pattern: the answer comes from the lengths.
  const long: ConditionValues = new Map([['aws:username', ['x'.repeat(100_000)]]]);
  assert.equal(matches(m('${aws:username}${aws:username}*'), 'short', long), false);
});

/** Runs `f` and fails when it takes longer than `ms` (generous: the old matcher took seconds to minutes). */
function quick(what: string, f: () => unknown, ms = 200): void {
  const t0 = performance.now();
  f();
  const took = performance.now() - t0;
  assert.ok(took < ms, `${what} took ${took.toFixed(1)} ms`);
}

/** A flat string as JSON.parse makes it (String#repeat can make a rope). */
const flat = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

test('pathological: the inputs that froze the server answer in milliseconds', () => {
  quick('*/*/*/*.txt against 500 slashes', () => assert.equal(matches(m('*/*/*/*.txt'), flat('/'.repeat(500)), NONE), false));
  quick('*a*a*a*b against 1000 a', () => assert.equal(matches(m('*a*a*a*b'), flat('a'.repeat(1000)), NONE), false));
});

// The largest text a request can carry into a match is an encryption-context value (8,192 bytes
// with its key: protocol/limits.ts); the largest pattern fills a key policy (32 KB).
const TEXT = flat('a'.repeat(8190));
const HALF = 4000;

test('pathological: worst cases at the largest sizes answer in milliseconds', () => {
  // A literal segment on which V8's String#indexOf is quadratic.
  quick('literal a…aba…a segment', () => assert.equal(matches(m(`*${'a'.repeat(HALF)}b${'a'.repeat(HALF)}*`), TEXT, NONE), false));
  // Segments with `?`: a position-by-position search would cost |text|·|segment|.
  quick('?-segment a?a?…b', () => assert.equal(matches(m(`*${'a?'.repeat(HALF / 2)}b*`), TEXT, NONE), false));
  quick('?-segment a…a?b', () => assert.equal(matches(m(`*${'a'.repeat(HALF)}?b*`), TEXT, NONE), false));
  quick('32 KB pattern of ?-segments', () => assert.equal(matches(m(`*${'a?a*'.repeat(8000)}b`), TEXT, NONE), false));
  quick('32 KB pattern of 16,000 stars', () => assert.equal(matches(m(`${'*a'.repeat(16_000)}*b`), TEXT, NONE), false));
  quick('template with a long value', () => {
    const v: ConditionValues = new Map([['aws:username', ['a'.repeat(HALF)]]]);
    assert.equal(matches(m('*${aws:username}?b*'), TEXT, v), false);
  });
});
