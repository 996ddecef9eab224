/**
 * Model-driven deserialization and validation of AWS JSON 1.1 request bodies (reference §1, §1.2).
 *
 * `deserializeInput` walks an operation's input shape over the parsed body: it converts wire types
 * (base64 → Buffer, epoch seconds → Date), drops unknown members and nulls, throws a
 * SerializationException on a JSON type mismatch, and collects every model-constraint violation
 * (required, length, range, pattern, enum) into one ValidationException worded like AWS's (Coral's):
 *
 *   "2 validation errors detected: Value 'x' at 'keyId' failed to satisfy constraint: Member must …; …"
 *
 * Paths are camelCase: `keyId`, nested `recipient.keyEncryptionAlgorithm`, list elements
 * `tags.1.member.tagKey` (1-based, as recorded from AWS). Violations are reported in model member
 * order (AWS's own order is not the model's and not reproducible). Only what the model states is
 * enforced; KMS's semantic rules (PendingWindowInDays 7–30, KeySpec xor NumberOfBytes …) belong to
 * the operations. Validators and RegExps are compiled once per shape and cached.
 */
import { kmsModel } from '../wire/model.ts';
import type { Shape } from '../wire/model.ts';
import { SerializationException, UnknownOperationException, ValidationException } from '../errors/common-errors.ts';
import { MEMBER_LIMITS, SHAPE_LIMITS, type MapLimit } from './limits.ts';

// ---------------------------------------------------------------------------------------------
// Java regular expressions (the model's `pattern` dialect) → JS RegExp matching the whole value.

/** Java's `\s` without UNICODE_CHARACTER_CLASS; JS's `\s` also matches Unicode spaces. */
const JAVA_SPACE = ' \\t\\n\\x0B\\f\\r';
/** Java's `.` excludes these line terminators (JS's `.` lacks U+0085). */
const JAVA_DOT = '[^\\n\\r\\u0085\\u2028\\u2029]';
const SYNTAX_CHARS = '^$\\.*+?()[]{}|/';

/**
 * Translates a Java regex to an equivalent `u`-flag RegExp anchored at both ends (AWS matches the
 * whole value). Throws on constructs with no JS equivalent; the tests compile every model pattern.
 */
export function javaPatternToRegExp(pattern: string): RegExp {
  let out = '';
  let inClass = false;
  let canStartRange = false; // in a class: the previous atom was a single character
  let rangeEnd = false; // in a class: the next atom ends a range
  const atom = (text: string, single: boolean): void => {
    out += text;
    if (inClass) { canStartRange = single && !rangeEnd; rangeEnd = false; }
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\') {
      const n = pattern.charAt(++i);
      if (n === 'u' || n === 'x') {
        const hex = /^[0-9a-fA-F]+/.exec(pattern.slice(i + 1, i + (n === 'u' ? 5 : 3)))?.[0] ?? '';
        if (hex.length !== (n === 'u' ? 4 : 2)) throw new Error(`unsupported escape in pattern ${pattern}`);
        atom(`\\${n}${hex}`, true);
        i += hex.length;
      } else if (n === 'p' || n === 'P') {
        const end = pattern.indexOf('}', i);
        if (pattern.charAt(i + 1) !== '{' || end < 0) throw new Error(`unsupported \\${n} in pattern ${pattern}`);
        atom(pattern.slice(i - 1, end + 1), false);
        i = end;
      } else if (n === 's') atom(inClass ? JAVA_SPACE : `[${JAVA_SPACE}]`, false);
      else if (n === 'S' && !inClass) atom(`[^${JAVA_SPACE}]`, false);
      else if (n === 'A' && !inClass) out += '^';
      else if (n === 'z' && !inClass) out += '$';
      else if ('dDwW'.includes(n)) atom(`\\${n}`, false);
      else if ('tnrf'.includes(n)) atom(`\\${n}`, true);
      else if (/[0-9a-zA-Z]/.test(n) || n === '') throw new Error(`unsupported \\${n} in pattern ${pattern}`);
      else atom(SYNTAX_CHARS.includes(n) || (inClass && n === '-') ? `\\${n}` : n, true);
    } else if (inClass) {
      if (c === ']') { out += ']'; inClass = false; }
      else if (c === '[' || (c === '&' && pattern.charAt(i + 1) === '&')) {
        throw new Error(`unsupported class union/intersection in pattern ${pattern}`);
      } else if (c === '-' && canStartRange && pattern.charAt(i + 1) !== ']') {
        out += '-'; rangeEnd = true; canStartRange = false;
      } else atom(c === '-' || c === '/' ? `\\${c}` : c, true);
    } else if (c === '[') {
      out += '[';
      inClass = true; canStartRange = false; rangeEnd = false;
      if (pattern.charAt(i + 1) === '^') { out += '^'; i++; }
    } else if (c === '.') out += JAVA_DOT;
    else if (c === '/') out += '\\/';
    else if ('*+?}'.includes(c) && pattern.charAt(i + 1) === '+') { out += c; i++; } // possessive ≈ greedy
    else if (c === '(' && pattern.startsWith('(?', i) && !/^\(\?(?::|=|!|<=|<!|<[a-zA-Z])/.test(pattern.slice(i))) {
      throw new Error(`unsupported group in pattern ${pattern}`);
    } else out += c;
  }
  if (inClass) throw new Error(`unterminated class in pattern ${pattern}`);
  return new RegExp(`^(?:${out})$`, 'u');
}

// ---------------------------------------------------------------------------------------------
// Compiled shapes.

type Scalar = string | number | boolean | Buffer | Date;
type ScalarType = 'string' | 'blob' | 'integer' | 'long' | 'float' | 'double' | 'boolean' | 'timestamp';
interface Check { readonly text: string; readonly test: (v: Scalar) => boolean }
interface ScalarNode { readonly kind: 'scalar'; readonly type: ScalarType; readonly echo: boolean; readonly checks: readonly Check[] }
interface Member { readonly name: string; readonly label: string; readonly required: boolean; readonly node: Node }
interface StructNode { readonly kind: 'structure'; readonly members: Member[] }
interface ListNode { readonly kind: 'list'; readonly count: readonly Check[]; readonly member: Node }
/** `limits`: what limits.ts adds to the model (checked without echoing the map, which may be large). */
interface MapNode { readonly kind: 'map'; readonly count: readonly Check[]; readonly limits: readonly MapLimit[]; readonly key: ScalarNode; readonly value: Node }
type Node = ScalarNode | StructNode | ListNode | MapNode;

const sizeOf = (v: Scalar): number =>
  typeof v === 'string' || Buffer.isBuffer(v) ? v.length : typeof v === 'number' ? v : Number.NaN;

/** Bounds in Coral's order (max before min); "length" for strings/blobs/lists/maps, "value" for numbers. */
function bounds(shape: Shape, word: 'length' | 'value'): Check[] {
  const checks: Check[] = [];
  const min = 'min' in shape ? shape.min : undefined;
  const max = 'max' in shape ? shape.max : undefined;
  if (max !== undefined) checks.push({ text: `Member must have ${word} less than or equal to ${max}`, test: (v) => sizeOf(v) <= max });
  if (min !== undefined) checks.push({ text: `Member must have ${word} greater than or equal to ${min}`, test: (v) => sizeOf(v) >= min });
  return checks;
}

/** What a reader needs of a service model: its shapes and each operation's input shape. */
export interface InputModel {
  readonly shapes: Readonly<Record<string, Shape>>;
  readonly operations: Readonly<Record<string, { readonly input?: string }>>;
}

/** What limits.ts adds to a model's maps, by shape name and by `Structure.Member`. */
export interface ModelLimits {
  readonly shapes: ReadonlyMap<string, readonly MapLimit[]>;
  readonly members: ReadonlyMap<string, readonly MapLimit[]>;
}

const NO_LIMITS: ModelLimits = { shapes: new Map(), members: new Map() };

/** Every operation's compiled input structure (each shape compiled once per model). */
function compileModel(model: InputModel, limits: ModelLimits): ReadonlyMap<string, StructNode> {
  const cache = new Map<string, Node>();
  const shapeOf = (name: string): Shape => {
    const shape = model.shapes[name];
    if (!shape) throw new Error(`unknown shape ${name}`);
    return shape;
  };

  function compile(name: string): Node {
    const hit = cache.get(name);
    if (hit) return hit;
    const shape: Shape = shapeOf(name);
    switch (shape.type) {
      case 'structure': {
        const node: StructNode = { kind: 'structure', members: [] };
        cache.set(name, node); // before the members: tolerates recursive shapes
        const required = new Set(shape.required ?? []);
        for (const [m, ref] of Object.entries(shape.members)) {
          node.members.push({ name: m, label: m.charAt(0).toLowerCase() + m.slice(1), required: required.has(m), node: withMemberLimits(name, m, compile(ref.shape)) });
        }
        return node;
      }
      case 'list':
      case 'map': {
        const count = bounds(shape, 'length');
        const node: Node = shape.type === 'list'
          ? { kind: 'list', count, member: compile(shape.member.shape) }
          : { kind: 'map', count, limits: limits.shapes.get(name) ?? [], key: compileMapKey(shape.key.shape), value: compile(shape.value.shape) };
        cache.set(name, node);
        return node;
      }
      default: {
        const checks = bounds(shape, shape.type === 'string' || shape.type === 'blob' ? 'length' : 'value');
        if (shape.type === 'string' && shape.pattern !== undefined) {
          const re = javaPatternToRegExp(shape.pattern);
          checks.push({ text: `Member must satisfy regular expression pattern: ${shape.pattern}`, test: (v) => typeof v === 'string' && re.test(v) });
        }
        if (shape.type === 'string' && shape.enum !== undefined) {
          const values = new Set(shape.enum); // AWS lists them in its own (hash) order; the model's is used
          checks.push({ text: `Member must satisfy enum value set: [${shape.enum.join(', ')}]`, test: (v) => typeof v === 'string' && values.has(v) });
        }
        const node: ScalarNode = { kind: 'scalar', type: shape.type, echo: shape.type !== 'blob' && !shape.sensitive, checks };
        cache.set(name, node);
        return node;
      }
    }
  }

  /** A map member with its own limits (limits.ts) gets its own node: the shape's node is shared. */
  function withMemberLimits(structure: string, member: string, node: Node): Node {
    const extra = limits.members.get(`${structure}.${member}`);
    if (extra === undefined) return node;
    if (node.kind !== 'map') throw new Error(`${structure}.${member} is not a map`);
    return { ...node, limits: [...node.limits, ...extra] };
  }

  function compileMapKey(name: string): ScalarNode {
    const node = compile(name);
    if (node.kind !== 'scalar' || node.type !== 'string') throw new Error(`map key shape ${name} is not a string`);
    return node;
  }

  const inputs = new Map<string, StructNode>();
  for (const [op, { input }] of Object.entries(model.operations)) {
    const node = input === undefined ? { kind: 'structure' as const, members: [] } : compile(input);
    if (node.kind !== 'structure') throw new Error(`input of ${op} is not a structure`);
    inputs.set(op, node);
  }
  return inputs;
}

// ---------------------------------------------------------------------------------------------
// Deserialization (throws SerializationException) and constraint collection.

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TARGET: Record<ScalarType, string> = {
  string: 'a String', blob: 'a Blob', integer: 'an Integer', long: 'a Long', float: 'a Float', double: 'a Double',
  boolean: 'an Boolean', timestamp: 'a Timestamp', // sic: "an Boolean" is Coral's wording
};

/** Coral's (Jackson-token) wording for a JSON value of the wrong type. */
function mismatch(raw: unknown, target: string): SerializationException {
  if (Array.isArray(raw)) return new SerializationException('Start of list found where not expected');
  if (isObject(raw)) return new SerializationException('Start of structure or map found where not expected.');
  const token = typeof raw === 'string' ? 'STRING_VALUE' : typeof raw === 'number' ? 'NUMBER_VALUE' : raw === true ? 'TRUE_VALUE' : 'FALSE_VALUE';
  return new SerializationException(`${token} can not be converted to ${target}`);
}

function readScalar(node: ScalarNode, raw: unknown, path: string): Scalar {
  switch (node.type) {
    case 'string':
      if (typeof raw === 'string') return raw;
      break;
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      break;
    case 'integer': case 'long': case 'float': case 'double':
      if (typeof raw !== 'number') break;
      if (node.type === 'integer' ? (raw | 0) === raw : node.type === 'long' ? Number.isSafeInteger(raw) : true) return raw;
      break;
    case 'blob':
      if (typeof raw !== 'string') break;
      if (!BASE64.test(raw)) throw new SerializationException(`Value at '${path}' can not be converted to a Blob: invalid Base64 encoding`);
      return Buffer.from(raw, 'base64');
    case 'timestamp': {
      const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && NUMERIC.test(raw.trim()) ? Number(raw) : Number.NaN;
      const date = new Date(seconds * 1000);
      if (!Number.isNaN(date.getTime())) return date;
      break;
    }
  }
  throw mismatch(raw, TARGET[node.type]);
}

/**
 * How much of a value an error message echoes. AWS echoes a value that is one character too long
 * whole (recorded answers), so this is the longest bounded string of the model (a Description's
 * 8192) plus one; a 1 MiB KeyId no longer comes back (and into the audit record) whole.
 */
const MAX_ECHO = 8193;
const clip = (t: string): string => (t.length <= MAX_ECHO ? t : `${t.slice(0, MAX_ECHO)}…(${t.length} characters)`);
/** `Value 'x'` (clipped), or just `Value` for blobs and sensitive values (AWS never echoes those). */
const shown = (echo: boolean, text: () => string) => (): string => (echo ? `Value '${clip(text())}'` : 'Value');
const fail = (value: string, path: string, constraint: string): string => `${value} at '${path}' failed to satisfy constraint: ${constraint}`;
const notNull = (path: string): string => fail('Value null', path, 'Member must not be null');
const allChecks = (node: ScalarNode): string => `[${node.checks.map((c) => c.text).join(', ')}]`;
const failsAny = (node: ScalarNode, v: Scalar): boolean => node.checks.some((c) => !c.test(v));

function read(node: Node, raw: unknown, path: string, errors: string[]): unknown {
  switch (node.kind) {
    case 'scalar': {
      const v = readScalar(node, raw, path);
      for (const c of node.checks) if (!c.test(v)) errors.push(fail(shown(node.echo, () => String(v))(), path, c.text));
      return v;
    }
    case 'structure': {
      if (!isObject(raw)) throw Array.isArray(raw) ? mismatch(raw, '') : new SerializationException('Expected null');
      const out: Record<string, unknown> = {};
      for (const m of node.members) {
        const v = Object.hasOwn(raw, m.name) ? raw[m.name] : undefined;
        const p = path === '' ? m.label : `${path}.${m.label}`;
        if (v === undefined || v === null) { if (m.required) errors.push(notNull(p)); }
        else out[m.name] = read(m.node, v, p, errors);
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(raw)) throw isObject(raw) ? mismatch(raw, '') : new SerializationException('Expected list or null');
      const member = node.member;
      const echo = member.kind === 'scalar' && member.echo;
      const value = shown(echo, () => `[${raw.map(String).join(', ')}]`);
      for (const c of node.count) if (!c.test(raw.length)) errors.push(fail(value(), path, c.text));
      // Elements are `<list>.<n>.member` (AWS: `tags.1.member.tagKey`). Scalar elements are reported
      // as one error on the list, Coral-style: "Member must satisfy constraint: [<all constraints>]".
      // A null element is Coffer's choice: "Value null at 'grantTokens.1.member' … must not be null".
      let bad = false;
      const out = raw.map((v: unknown, i) => {
        const p = `${path}.${i + 1}.member`;
        if (v === null) { errors.push(notNull(p)); return null; }
        if (member.kind !== 'scalar') return read(member, v, p, errors);
        const s = readScalar(member, v, p);
        bad ||= failsAny(member, s);
        return s;
      });
      if (bad && member.kind === 'scalar') errors.push(fail(value(), path, `Member must satisfy constraint: ${allChecks(member)}`));
      return out;
    }
    case 'map': {
      if (!isObject(raw)) throw Array.isArray(raw) ? mismatch(raw, '') : new SerializationException('Expected map or null');
      const entries = Object.entries(raw);
      const { key, value: member } = node;
      const echo = key.echo && member.kind === 'scalar' && member.echo;
      const value = shown(echo, () => `{${entries.map(([k, v]) => `${k}=${String(v)}`).join(', ')}}`);
      for (const c of node.count) if (!c.test(entries.length)) errors.push(fail(value(), path, c.text));
      let over = false;
      for (const l of node.limits) if (!l.test(entries)) { errors.push(fail('Value', path, l.text)); over = true; }
      if (over) return {}; // refused anyway: its entries (60,000 in 1 MiB) are not read one by one
      // Scalar keys/values are reported on the map, Coral-style ("Map keys must satisfy constraint:
      // [...]", "Map value must satisfy constraint: [...]"); structured values as `<map>.<key>.member`.
      if (entries.some(([k]) => failsAny(key, k))) errors.push(fail(value(), path, `Map keys must satisfy constraint: ${allChecks(key)}`));
      let bad = false;
      const out = entries.map(([k, v]): [string, unknown] => {
        const p = `${path}.${k}.member`;
        if (v === null) { errors.push(notNull(p)); return [k, null]; }
        if (member.kind !== 'scalar') return [k, read(member, v, p, errors)];
        const s = readScalar(member, v, p);
        bad ||= failsAny(member, s);
        return [k, s];
      });
      if (bad && member.kind === 'scalar') errors.push(fail(value(), path, `Map value must satisfy constraint: ${allChecks(member)}`));
      return Object.fromEntries(out); // own data properties, so a "__proto__" key stays a plain key
    }
  }
}

/** AWS's framing of one or more violations. */
export function validationMessage(errors: readonly string[]): string {
  return `${errors.length} validation error${errors.length === 1 ? '' : 's'} detected: ${errors.join('; ')}`;
}

/** Reads one operation's JSON-parsed body: see deserializeInput. */
export type InputReader = (operation: string, body: unknown) => Record<string, unknown>;

/**
 * A reader for another JSON 1.1 service's model (CloudHSMv2): the same conversion and checks as
 * deserializeInput, the same errors (a codec maps ValidationException to its service's own error).
 */
export function createInputReader(model: InputModel, limits: ModelLimits = NO_LIMITS): InputReader {
  const inputs = compileModel(model, limits);
  return (operation, body) => {
    const node = inputs.get(operation);
    if (!node) throw new UnknownOperationException();
    // AWS answers a non-object body with no message, an array with Jackson's wording.
    if (!isObject(body)) throw Array.isArray(body) ? mismatch(body, '') : new SerializationException('');
    const errors: string[] = [];
    const input = read(node, body, '', errors);
    if (errors.length > 0) throw new ValidationException(validationMessage(errors));
    if (!isObject(input)) throw new Error('unreachable: a structure reads as an object');
    return input;
  };
}

const readKmsInput = createInputReader(kmsModel, { shapes: SHAPE_LIMITS, members: MEMBER_LIMITS });

/**
 * Converts and validates the JSON-parsed body of `operation`'s request. Returns the input with the
 * model's PascalCase member names, known members only, nulls dropped, blobs as Buffer and
 * timestamps as Date. Throws UnknownOperationException, SerializationException or ValidationException.
 */
export function deserializeInput(operation: string, body: unknown): Record<string, unknown> {
  return readKmsInput(operation, body);
}
