/**
 * The one matching algorithm for `*`/`?` patterns, with no backtracking across a star: a policy
 * author and a caller together must not be able to make one match cost more than a pass over the
 * text per pattern segment (the backtracking RegExp it replaces took 18–26 s for four stars
 * separated by slashes against 500 slashes, and minutes for `*a*a*a*b` against 1000 characters).
 *
 * The pattern is split at every `*` into segments of literal code units and `?`. Without a star
 * the text must be as long as the one segment and match it in place. Otherwise the first segment
 * anchors the start, the last the end, and each middle segment is taken at its leftmost occurrence
 * after the previous one (leftmost is always safe: a later occurrence leaves less room to the
 * segments after it), so the text is scanned once, left to right.
 *
 * Cost, for a text of n UTF-16 code units and a pattern of m: compiling is O(m). Anchored segments
 * compare in place, O(m). A middle segment is searched for (segment-search.ts) only in the part of
 * the text after the previous one, so the scanned ranges do not overlap: a match costs O(m + n)
 * when no middle segment holds a `?`, and O(m + n·⌈s/32⌉) otherwise, s the longest such segment.
 *
 * A "character" is a UTF-16 code unit, as before (the RegExp had no `u` flag): `?` matches one
 * code unit, so a character outside the BMP needs `??`. AWS does not document which it uses.
 */
import { findSegment, literalSearch, wildSearch, type SegmentSearch } from './segment-search.ts';
import { QMARK, STAR } from './variables.ts';

/** What a pattern is made of once its variables are substituted. */
export type GlobPart = string | typeof STAR | typeof QMARK;

/** A run of the pattern between two stars. */
export interface Segment {
  /** The segment's code units; a `?` position holds a placeholder. */
  readonly text: string;
  /** 1 where the segment has a `?`; absent when it has none. */
  readonly wild?: Uint8Array;
  /** Only for a non-empty segment between two stars: how to find it. */
  readonly search?: SegmentSearch;
}

/** A compiled pattern: its segments, one more than it has stars. */
export interface Glob {
  readonly segments: readonly Segment[];
  /** Code units of the pattern, and 32-bit words of its widest `?` segment searched (at least 1): see globCost. */
  readonly size: number;
  readonly width: number;
}

/** An upper bound of the work of matching a text of `n` code units, in the units of match-budget.ts. */
export const globCost = (g: Glob, n: number): number => g.size + n * g.width;

function segment(text: string, wild: number[], middle: boolean): Segment {
  let mask: Uint8Array | undefined;
  if (wild.length > 0) {
    mask = new Uint8Array(text.length);
    for (const i of wild) mask[i] = 1;
  }
  if (!middle || text.length === 0) return mask ? { text, wild: mask } : { text };
  return mask ? { text, wild: mask, search: wildSearch(text, mask) } : { text, search: literalSearch(text) };
}

/** Compiles parts (literal text, `*`, `?`) into segments. O(total length). */
export function compileGlob(parts: readonly GlobPart[]): Glob {
  const raw: { text: string; wild: number[] }[] = [{ text: '', wild: [] }];
  let cur = raw[0] as { text: string; wild: number[] };
  for (const p of parts) {
    if (p === STAR) raw.push((cur = { text: '', wild: [] }));
    else if (p === QMARK) {
      cur.wild.push(cur.text.length);
      cur.text += '?';
    } else cur.text += p;
  }
  const last = raw.length - 1;
  const segments = raw.map((s, i) => segment(s.text, s.wild, i > 0 && i < last));
  let size = 0;
  let width = 1;
  for (const s of segments) {
    size += s.text.length;
    if (s.search?.kind === 'wild') width = Math.max(width, s.search.wildRow.length);
  }
  return { segments, size: size + raw.length - 1, width };
}

/** Whether the segment matches the text at `at` (the caller checked that it fits). O(|segment|). */
function matchesAt(s: Segment, text: string, at: number): boolean {
  const w = s.wild;
  if (w === undefined) return text.startsWith(s.text, at);
  const t = s.text;
  for (let i = 0; i < t.length; i++) {
    if (w[i] === 0 && text.charCodeAt(at + i) !== t.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether the whole text matches the glob. */
export function globMatches(g: Glob, text: string): boolean {
  const segs = g.segments;
  const n = text.length;
  const first = segs[0] as Segment;
  if (segs.length === 1) return n === first.text.length && matchesAt(first, text, 0);
  const last = segs[segs.length - 1] as Segment;
  const end = n - last.text.length;
  if (first.text.length > end || !matchesAt(first, text, 0) || !matchesAt(last, text, end)) return false;
  let p = first.text.length;
  for (let i = 1; i < segs.length - 1; i++) {
    const s = segs[i] as Segment;
    if (s.search === undefined) continue; // an empty segment: two stars in a row
    const at = findSegment(s.search, text, p, end);
    if (at < 0) return false;
    p = at + s.text.length;
  }
  return true;
}
