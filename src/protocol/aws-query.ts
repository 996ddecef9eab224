/**
 * The AWS Query protocol (IAM, STS), model-driven:
 *
 * - Requests are `application/x-www-form-urlencoded` bodies: `Action=CreateUser&Version=2010-05-08`
 *   plus the input members, flattened the way botocore's QuerySerializer flattens them: structure
 *   members by name (`PolicyArns.member.1.arn`), lists as `<name>.member.<n>` (1-based; `<name>=`
 *   for an empty list), maps as `<name>.entry.<n>.key` / `.value`, booleans `true`/`false`,
 *   timestamps ISO 8601.
 * - Inputs are validated against the model (required, length, range, pattern, enum) with AWS's
 *   Coral wording under the Query code `ValidationError`.
 * - Answers are XML: `<{Op}Response xmlns=…><{Op}Result>…</{Op}Result><ResponseMetadata>
 *   <RequestId>…</RequestId></ResponseMetadata></{Op}Response>`, structure members in model order,
 *   lists as `<member>` elements, timestamps ISO 8601, and IAM's policy documents URL-encoded (what
 *   botocore's `json_decode_policies` undoes).
 * - Errors are `<ErrorResponse xmlns=…><Error><Type>Sender|Receiver</Type><Code>…</Code><Message>…
 *   </Message></Error><RequestId>…</RequestId></ErrorResponse>`, with the JSON-protocol names of the
 *   shared authentication errors translated to their Query names (InvalidClientTokenId, …).
 */
import { AwsError } from '../errors/aws-error.ts';
import { InvalidActionError, MalformedQueryStringError, ValidationError } from '../errors/query-errors.ts';
import type { Shape } from '../wire/model.ts';
import { iamModel, queryShape, stsModel, type QueryModel } from '../wire/query-model.ts';
import { javaPatternToRegExp, validationMessage } from './validate.ts';

export type { QueryModel } from '../wire/query-model.ts';

export const FORM_URLENCODED = 'application/x-www-form-urlencoded';
/** The Query services' models, by SigV4 service name. */
export const QUERY_MODELS: Readonly<Record<'iam' | 'sts', QueryModel>> = { iam: iamModel, sts: stsModel };
export const XML_CONTENT_TYPE = 'text/xml';

// ---------------------------------------------------------------------------------------------
// Form bodies.

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * At most this many `&`-separated fields in a form body: the largest IAM or STS request (AssumeRole
 * with every list full) sends about 200, and the body is decoded before its signature is checked,
 * where 250,000 fields in 1 MiB cost 0.2-0.4 s. Coffer's bound; AWS documents none.
 */
export const MAX_FORM_FIELDS = 1000;
/** Segments of a parameter name worth indexing: the models' deepest is 4 (`Tags.member.1.Key`). */
export const MAX_NAME_SEGMENTS = 8;

/** Decodes a form body into its parameters (a repeated name keeps its last value). */
export function parseForm(body: Buffer | string): Map<string, string> {
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    try { text = UTF8.decode(body); } catch { throw new MalformedQueryStringError('Invalid UTF-8 in the request body.'); }
  }
  for (let fields = 1, at = text.indexOf('&'); at >= 0; at = text.indexOf('&', at + 1)) {
    if (++fields > MAX_FORM_FIELDS) throw new MalformedQueryStringError(`The request body has more than ${MAX_FORM_FIELDS} parameters.`);
  }
  const out = new Map<string, string>();
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq), v = eq < 0 ? '' : part.slice(eq + 1);
    out.set(decodeComponent(k), decodeComponent(v));
  }
  return out;
}

function decodeComponent(s: string): string {
  const plus = s.replaceAll('+', ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    throw new MalformedQueryStringError(`Invalid percent-encoding in the request body: '${plus.slice(0, 40)}'.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Input deserialization and validation.

interface Check { readonly text: string; readonly test: (v: string | number) => boolean }

const regexCache = new Map<string, RegExp>();
function patternOf(p: string): RegExp {
  let re = regexCache.get(p);
  if (!re) { re = javaPatternToRegExp(p); regexCache.set(p, re); }
  return re;
}

const sizeOf = (v: string | number): number => (typeof v === 'string' ? v.length : v);

/** Coral's checks for a scalar shape (bounds max before min, then pattern, then enum). */
function checksOf(shape: Shape): Check[] {
  const checks: Check[] = [];
  const word = shape.type === 'string' || shape.type === 'blob' ? 'length' : 'value';
  const max = 'max' in shape ? shape.max : undefined;
  const min = 'min' in shape ? shape.min : undefined;
  if (max !== undefined) checks.push({ text: `Member must have ${word} less than or equal to ${max}`, test: (v) => sizeOf(v) <= max });
  if (min !== undefined) checks.push({ text: `Member must have ${word} greater than or equal to ${min}`, test: (v) => sizeOf(v) >= min });
  if (shape.type === 'string' && shape.pattern !== undefined) {
    const re = patternOf(shape.pattern);
    checks.push({ text: `Member must satisfy regular expression pattern: ${shape.pattern}`, test: (v) => typeof v === 'string' && re.test(v) });
  }
  if (shape.type === 'string' && shape.enum !== undefined) {
    const values = new Set(shape.enum);
    checks.push({ text: `Member must satisfy enum value set: [${shape.enum.join(', ')}]`, test: (v) => typeof v === 'string' && values.has(v) });
  }
  return checks;
}

const label = (member: string): string => member.charAt(0).toLowerCase() + member.slice(1);
const fail = (value: string, path: string, constraint: string): string => `${value} at '${path}' failed to satisfy constraint: ${constraint}`;

class Reader {
  readonly errors: string[] = [];
  /** Each dotted prefix of a parameter name → the segments sent directly below it. */
  readonly #children = new Map<string, Set<string>>();

  constructor(private readonly model: QueryModel, private readonly params: ReadonlyMap<string, string>) {
    // Only the first MAX_NAME_SEGMENTS segments: no model member lies deeper, and indexing every
    // prefix of a 1 MiB name of 500,000 segments took over a second.
    for (const name of params.keys()) {
      let from = 0;
      for (let depth = 0; depth < MAX_NAME_SEGMENTS; depth++) {
        const dot = name.indexOf('.', from);
        const prefix = from === 0 ? '' : name.slice(0, from - 1);
        let set = this.#children.get(prefix);
        if (!set) { set = new Set(); this.#children.set(prefix, set); }
        set.add(dot < 0 ? name.slice(from) : name.slice(from, dot));
        if (dot < 0) break;
        from = dot + 1;
      }
    }
  }

  /** Whether anything is sent at or below `prefix`. */
  #present(prefix: string): boolean {
    return this.params.has(prefix) || this.#children.has(prefix);
  }

  /** The 1-based indices sent directly below `prefix` (`Tags.member` → 1, 2, …), ascending. */
  #indices(prefix: string): number[] {
    const found: number[] = [];
    for (const c of this.#children.get(prefix) ?? []) if (/^[1-9]\d{0,8}$/.test(c)) found.push(Number(c));
    return found.sort((a, b) => a - b);
  }

  read(shapeName: string, key: string, path: string): unknown {
    const shape = queryShape(this.model, shapeName);
    switch (shape.type) {
      case 'structure': {
        const out: Record<string, unknown> = {};
        const required = new Set(shape.required ?? []);
        for (const [m, ref] of Object.entries(shape.members)) {
          const k = key === '' ? m : `${key}.${m}`;
          const p = path === '' ? label(m) : `${path}.${label(m)}`;
          if (!this.#present(k)) {
            if (required.has(m)) this.errors.push(fail('Value null', p, 'Member must not be null'));
            continue;
          }
          out[m] = this.read(ref.shape, k, p);
        }
        return out;
      }
      case 'list': {
        const member = queryShape(this.model, shape.member.shape);
        const items = this.params.get(key) === '' && !this.#children.has(key)
          ? [] // `Tags=`: botocore's empty list
          : this.#indices(`${key}.member`).map((i) => ({ i, value: this.read(shape.member.shape, `${key}.member.${i}`, `${path}.${i}.member`) }));
        const values = items.map((x) => x.value);
        const scalar = member.type !== 'structure' && member.type !== 'list' && member.type !== 'map';
        const echo = scalar && member.type !== 'blob' && !member.sensitive;
        const shown = echo ? `Value '[${values.map(String).join(', ')}]'` : 'Value';
        for (const c of checksOf(shape)) if (!c.test(values.length)) this.errors.push(fail(shown, path, c.text));
        return values;
      }
      case 'map': {
        const out: Record<string, unknown> = {};
        for (const i of this.#indices(`${key}.entry`)) {
          const k = this.params.get(`${key}.entry.${i}.key`);
          if (k === undefined) { this.errors.push(fail('Value null', `${path}.${i}.key`, 'Member must not be null')); continue; }
          out[k] = this.read(shape.value.shape, `${key}.entry.${i}.value`, `${path}.${k}.member`);
        }
        const n = Object.keys(out).length;
        for (const c of checksOf(shape)) if (!c.test(n)) this.errors.push(fail('Value', path, c.text));
        return out;
      }
      default:
        return this.#scalar(shape, this.params.get(key), path);
    }
  }

  #scalar(shape: Shape, raw: string | undefined, path: string): unknown {
    if (raw === undefined) { this.errors.push(fail('Value null', path, 'Member must not be null')); return undefined; }
    const echo = shape.type !== 'blob' && !shape.sensitive;
    const shown = echo ? `Value '${raw}'` : 'Value';
    let value: string | number | boolean | Date | Buffer;
    switch (shape.type) {
      case 'integer': case 'long': {
        if (!/^[+-]?\d{1,16}$/.test(raw.trim())) { this.errors.push(fail(shown, path, 'Member must be a whole number')); return undefined; }
        value = Number(raw);
        break;
      }
      case 'float': case 'double': {
        const n = Number(raw);
        if (raw.trim() === '' || Number.isNaN(n)) { this.errors.push(fail(shown, path, 'Member must be a number')); return undefined; }
        value = n;
        break;
      }
      case 'boolean': {
        const b = raw.toLowerCase();
        if (b !== 'true' && b !== 'false') { this.errors.push(fail(shown, path, 'Member must be true or false')); return undefined; }
        return b === 'true';
      }
      case 'timestamp': {
        const d = /^\d+(\.\d+)?$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
        if (Number.isNaN(d.getTime())) { this.errors.push(fail(shown, path, 'Member must be a timestamp')); return undefined; }
        return d;
      }
      case 'blob': {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) { this.errors.push(fail(shown, path, 'Member must be Base64-encoded')); return undefined; }
        value = Buffer.from(raw, 'base64');
        return value;
      }
      default:
        value = raw;
    }
    for (const c of checksOf(shape)) if (!c.test(value)) this.errors.push(fail(shown, path, c.text));
    return value;
  }
}

export interface QueryRequest {
  readonly action: string;
  /** The operation's input with the model's member names: strings, numbers, booleans, Dates, arrays, objects. */
  readonly input: Record<string, unknown>;
}

/**
 * The action a form names, and its input validated against `model`. Throws InvalidActionError for
 * an action the model lacks (or the wrong Version) and ValidationError for constraint violations.
 */
export function readQueryRequest(model: QueryModel, params: ReadonlyMap<string, string>): QueryRequest {
  const action = params.get('Action');
  if (action === undefined || action === '') throw new InvalidActionError('The request must contain the parameter Action.');
  const version = params.get('Version');
  const op = Object.hasOwn(model.operations, action) ? model.operations[action] : undefined;
  if (op === undefined || (version !== undefined && version !== model.metadata.apiVersion)) {
    throw new InvalidActionError(`Could not find operation ${action.slice(0, 128)} for version ${(version ?? model.metadata.apiVersion).slice(0, 32)}`);
  }
  if (op.input === undefined) return { action, input: {} };
  const reader = new Reader(model, params);
  const input = reader.read(op.input, '', '');
  if (reader.errors.length > 0) throw new ValidationError(validationMessage(reader.errors));
  return { action, input: input as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------
// XML answers.

// Characters XML 1.0 cannot carry at all; never produced by validated input, replaced defensively.
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text content (never used in attributes): &, <, > and CR (which XML parsers would turn into LF). */
export function escapeXml(s: string): string {
  return s.replace(NOT_XML, '\uFFFD').replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

/** ISO 8601 in UTC without milliseconds, as IAM and STS write timestamps. */
export function isoTimestamp(v: Date | number): string {
  const d = typeof v === 'number' ? new Date(v) : v;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3986 percent-encoding (IAM's policy documents; Python's `unquote` decodes it). */
const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function serializeValue(model: QueryModel, shapeName: string, value: unknown, out: string[]): void {
  const shape = queryShape(model, shapeName);
  switch (shape.type) {
    case 'structure': {
      if (value === null || typeof value !== 'object') throw new Error(`output ${shapeName} is not an object`);
      const v = value as Record<string, unknown>;
      for (const [m, ref] of Object.entries(shape.members)) {
        const x = v[m];
        if (x === undefined || x === null) continue;
        out.push(`<${m}>`);
        serializeValue(model, ref.shape, x, out);
        out.push(`</${m}>`);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) throw new Error(`output ${shapeName} is not a list`);
      for (const x of value) {
        out.push('<member>');
        serializeValue(model, shape.member.shape, x, out);
        out.push('</member>');
      }
      return;
    }
    case 'map': {
      if (value === null || typeof value !== 'object') throw new Error(`output ${shapeName} is not a map`);
      for (const [k, x] of Object.entries(value)) {
        out.push(`<entry><key>${escapeXml(k)}</key><value>`);
        serializeValue(model, shape.value.shape, x, out);
        out.push('</value></entry>');
      }
      return;
    }
    case 'timestamp':
      if (!(value instanceof Date) && typeof value !== 'number') throw new Error(`output ${shapeName} is not a timestamp`);
      out.push(isoTimestamp(value));
      return;
    case 'blob':
      out.push(Buffer.isBuffer(value) ? value.toString('base64') : '');
      return;
    case 'boolean':
      out.push(value === true ? 'true' : 'false');
      return;
    default: {
      const text = String(value);
      out.push(escapeXml(model.metadata.urlEncodedShapes.includes(shapeName) ? rfc3986(text) : text));
    }
  }
}

/** The XML answer to a successful `action`. */
export function serializeQueryResponse(model: QueryModel, action: string, output: object | undefined, requestId: string): string {
  const op = model.operations[action];
  if (!op) throw new Error(`unknown operation ${action}`);
  const out: string[] = [`<${action}Response xmlns="${model.metadata.xmlNamespace}">`];
  if (op.output !== undefined) {
    const wrapper = op.resultWrapper ?? `${action}Result`;
    out.push(`<${wrapper}>`);
    serializeValue(model, op.output, output ?? {}, out);
    out.push(`</${wrapper}>`);
  }
  out.push(`<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`);
  return out.join('');
}

/** JSON-protocol names of the shared errors (auth, routing) → their Query code and status. */
const QUERY_NAMES: Readonly<Record<string, readonly [string, number]>> = {
  UnrecognizedClientException: ['InvalidClientTokenId', 403],
  InvalidSignatureException: ['SignatureDoesNotMatch', 403],
  IncompleteSignatureException: ['IncompleteSignature', 400],
  MissingAuthenticationTokenException: ['MissingAuthenticationToken', 403],
  ExpiredTokenException: ['ExpiredToken', 403],
  AccessDeniedException: ['AccessDenied', 403],
  ValidationException: ['ValidationError', 400],
  SerializationException: ['MalformedQueryString', 400],
  UnknownOperationException: ['InvalidAction', 400],
  ThrottlingException: ['Throttling', 400],
};

export interface QueryErrorAnswer {
  readonly status: number;
  readonly body: string;
  readonly code: string;
  /** Set for an unexpected error: what to log (never sent). */
  readonly cause?: unknown;
}

/** The XML error answer for `e`; anything but an AwsError is an internal failure whose cause is logged, not sent. */
export function queryErrorAnswer(model: QueryModel, e: unknown, requestId: string): QueryErrorAnswer {
  let code: string, status: number, message: string;
  const internal = model.metadata.endpointPrefix === 'iam' ? 'ServiceFailure' : 'InternalFailure';
  if (e instanceof AwsError && e.code === 'KMSInternalException') {
    // An internal error raised with a message for the client (the audit trail refusing calls).
    [code, status, message] = [internal, 500, e.message];
  } else if (e instanceof AwsError) {
    const mapped = QUERY_NAMES[e.code];
    [code, status] = mapped ?? [e.code, e.status];
    message = e.message;
  } else {
    [code, status, message] = [internal, 500, 'An internal error occurred.'];
  }
  const body = `<ErrorResponse xmlns="${model.metadata.xmlNamespace}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>`
    + `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>`
    + `<RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`;
  return { status, body, code, ...(e instanceof AwsError ? {} : { cause: e }) };
}
