/**
 * Finding a glob segment (a run of literal code units and `?` between two stars) in a text, in one
 * left-to-right pass whatever the input: Knuth–Morris–Pratt for a literal segment (O(n + s) for n
 * scanned code units and a segment of s; not String#indexOf, which V8 runs in O(n·s) on a run of
 * `a` against `a…aba…a`), and the bit-parallel Shift-And for a segment holding `?`
 * (O(s + n·⌈s/32⌉); trying each position instead took 120 ms for one 4 KB segment in 8 KiB).
 */

/** A literal segment prepared for Knuth–Morris–Pratt. */
export interface LiteralSearch {
  readonly kind: 'literal';
  readonly text: string;
  /** The segment's code units. */
  readonly codes: Uint16Array;
  /** next[i]: length of the longest proper border of text[0..i]. */
  readonly next: Int32Array;
}

/** A segment with `?` prepared for Shift-And: which positions hold each code unit. */
export interface WildSearch {
  readonly kind: 'wild';
  readonly length: number;
  /** Bit j (word j >> 5) is set where the segment has a `?`. */
  readonly wildRow: Uint32Array;
  /** Positions of each literal code unit of the segment. */
  readonly positions: ReadonlyMap<number, readonly number[]>;
}

export type SegmentSearch = LiteralSearch | WildSearch;

export function literalSearch(text: string): LiteralSearch {
  const codes = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i);
  const next = new Int32Array(text.length);
  let k = 0;
  for (let i = 1; i < codes.length; i++) {
    const c = codes[i] as number;
    while (k > 0 && codes[k] !== c) k = next[k - 1] as number;
    if (codes[k] === c) k++;
    next[i] = k;
  }
  return { kind: 'literal', text, codes, next };
}

/** `text` with a `?` wherever `wild[i]` is 1. */
export function wildSearch(text: string, wild: Uint8Array): WildSearch {
  const wildRow = new Uint32Array((text.length + 31) >>> 5);
  const positions = new Map<number, number[]>();
  for (let i = 0; i < text.length; i++) {
    if (wild[i] === 1) {
      wildRow[i >>> 5] = (wildRow[i >>> 5] as number) | (1 << (i & 31));
      continue;
    }
    const c = text.charCodeAt(i);
    const list = positions.get(c);
    if (list) list.push(i);
    else positions.set(c, [i]);
  }
  return { kind: 'wild', length: text.length, wildRow, positions };
}

/** Leftmost start q ≥ from with the segment inside text[from, end), or -1. */
export function findSegment(s: SegmentSearch, text: string, from: number, end: number): number {
  return s.kind === 'literal' ? findLiteral(s, text, from, end) : findWild(s, text, from, end);
}

function findLiteral(s: LiteralSearch, text: string, from: number, end: number): number {
  const { codes, next } = s;
  const m = codes.length;
  const first = s.text.charAt(0);
  let k = 0;
  for (let i = from; i < end; i++) {
    if (k === 0) {
      // Jump to the next occurrence of the first code unit: a single-unit indexOf is one linear scan.
      i = text.indexOf(first, i);
      if (i < 0 || i >= end) return -1;
    }
    const c = text.charCodeAt(i);
    while (k > 0 && codes[k] !== c) k = next[k - 1] as number;
    if (codes[k] === c && ++k === m) return i - m + 1;
  }
  return -1;
}

function findWild(s: WildSearch, text: string, from: number, end: number): number {
  const m = s.length;
  const words = s.wildRow.length;
  const top = words - 1;
  const topBit = 1 << ((m - 1) & 31);
  // Rows (positions of the code unit, or `?`) are built when the text first shows the code unit:
  // at most min(distinct code units of the text, of the segment) rows, each O(words).
  const latin: (Uint32Array | undefined)[] = [];
  const other = new Map<number, Uint32Array>();
  const row = (c: number): Uint32Array => {
    const at = s.positions.get(c);
    if (at === undefined) return s.wildRow;
    const r = Uint32Array.from(s.wildRow);
    for (const j of at) r[j >>> 5] = (r[j >>> 5] as number) | (1 << (j & 31));
    return r;
  };
  if (words === 1) {
    // The usual case, a segment of at most 32 code units: the state is one integer.
    let d = 0;
    for (let i = from; i < end; i++) {
      const c = text.charCodeAt(i);
      let r: Uint32Array | undefined;
      if (c < 256) r = latin[c] ??= row(c);
      else if ((r = other.get(c)) === undefined) other.set(c, (r = row(c)));
      d = ((d << 1) | 1) & (r[0] as number);
      if ((d & topBit) !== 0) return i - m + 1;
    }
    return -1;
  }
  const state = new Uint32Array(words);
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    let r: Uint32Array | undefined;
    if (c < 256) r = latin[c] ??= row(c);
    else if ((r = other.get(c)) === undefined) other.set(c, (r = row(c)));
    let carry = 1;
    for (let w = 0; w < words; w++) {
      const d = state[w] as number;
      state[w] = ((d << 1) | carry) & (r[w] as number);
      carry = d >>> 31;
    }
    if (((state[top] as number) & topBit) !== 0) return i - m + 1;
  }
  return -1;
}
