/**
 * Reading a seed file's YAML (JSON is YAML too) with the line of every field, so that each error
 * names the file, the line and the field (`keys[1].keySpec`). Errors never quote a secret: the
 * values of secret fields are never put in a message, and the parser's own messages are cut to
 * their first line (the yaml package's context lines would show the file's text).
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { SeedError, type SeedPlace } from './model.ts';

export type Path = readonly (string | number)[];

export const pathText = (path: Path): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

export class SeedReader {
  private readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();
  readonly root: unknown;

  constructor(readonly file: string, text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true, version: '1.2' });
    const err = this.doc.errors[0];
    if (err !== undefined) {
      const line = err.linePos?.[0].line ?? this.lines.linePos(err.pos[0]).line;
      throw new SeedError(`COFFER_SEED_FILE ${file} line ${line}: not valid YAML or JSON (${err.code}: ${(err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')})`);
    }
    this.root = this.doc.toJS({ maxAliasCount: 100 }) as unknown;
  }

  /** The line of the value at `path`, or of its nearest ancestor present in the file. */
  line(path: Path): number {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: readonly number[] } | undefined)?.range;
      if (range !== undefined && typeof range[0] === 'number') return this.lines.linePos(range[0]).line;
    }
    return 1;
  }

  place(path: Path): SeedPlace {
    return { path: pathText(path), line: this.line(path) };
  }

  fail(path: Path, message: string): never {
    throw new SeedError(`COFFER_SEED_FILE ${this.file} line ${this.line(path)}: ${pathText(path)} ${message}`);
  }

  /** True when the node at `path` is a mapping or a sequence in the file (not a scalar). */
  isCollection(path: Path): boolean {
    const node: unknown = this.doc.getIn(path, true);
    return isMap(node) || isSeq(node);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** Typed access to one mapping of the file, failing with the field's place. */
export class Fields {
  constructor(private readonly r: SeedReader, readonly path: Path, private readonly value: Record<string, unknown>, allowed: readonly string[]) {
    for (const k of Object.keys(value)) {
      if (!allowed.includes(k)) r.fail([...path, k], `is not a known field (known: ${allowed.join(', ')})`);
    }
  }

  static of(r: SeedReader, path: Path, value: unknown, allowed: readonly string[]): Fields {
    if (!isObject(value)) r.fail(path, 'must be a mapping');
    return new Fields(r, path, value, allowed);
  }

  has(name: string): boolean { return this.value[name] !== undefined && this.value[name] !== null; }
  at(name: string): Path { return [...this.path, name]; }
  fail(name: string, message: string): never { return this.r.fail(this.at(name), message); }
  raw(name: string): unknown { return this.value[name]; }

  /** A string; `secret` fields never have their value in a message. */
  string(name: string, opts: { min?: number; max?: number; pattern?: RegExp; what?: string; secret?: boolean } = {}): string | undefined {
    const v = this.value[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(name, 'must be a string');
    const { min = 0, max = Number.MAX_SAFE_INTEGER } = opts;
    if (v.length < min || v.length > max) this.fail(name, `must be ${min} to ${max} characters long`);
    if (opts.pattern !== undefined && !opts.pattern.test(v)) {
      this.fail(name, `must be ${opts.what ?? `a string matching ${String(opts.pattern)}`}${opts.secret === true ? '' : `, got '${v.slice(0, 80)}'`}`);
    }
    return v;
  }

  required(name: string, opts: Parameters<Fields['string']>[1] = {}): string {
    const v = this.string(name, opts);
    if (v === undefined) this.fail(name, 'is required');
    return v;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) this.fail(name, `must be one of ${values.join(', ')}, got '${v.slice(0, 80)}'`);
    return v as T;
  }

  boolean(name: string): boolean | undefined {
    const v = this.value[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(name, 'must be true or false');
    return v;
  }

  /** A 12-digit account id; an unquoted YAML number of 12 digits is accepted. */
  account(name: string): string | undefined {
    const v = this.value[name];
    if (v === undefined || v === null) return undefined;
    const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
    if (typeof s !== 'string' || !/^\d{12}$/.test(s)) this.fail(name, 'must be a 12-digit account id (quote it in YAML: "444455556666")');
    return s;
  }

  list(name: string, max: number): unknown[] {
    const v = this.value[name];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(name, 'must be a list');
    if (v.length > max) this.fail(name, `has ${v.length} items, at most ${max} are allowed`);
    return v;
  }

  /** A string → string mapping (tags, encryption context). */
  stringMap(name: string): Record<string, string> | undefined {
    const v = this.value[name];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) this.fail(name, 'must be a mapping of names to strings');
    for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') this.r.fail([...this.at(name), k], 'must be a string (quote numbers and booleans)');
    return v as Record<string, string>;
  }

  /** A policy document: a mapping (serialized as JSON) or a JSON string. */
  policy(name: string): string | undefined {
    const v = this.value[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (!isObject(v)) this.fail(name, 'must be a policy document (a mapping, or a JSON string)');
    return JSON.stringify(v);
  }
}
