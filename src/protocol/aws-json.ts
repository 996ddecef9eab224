/**
 * The AWS JSON 1.1 protocol: the operation a target names, the wire form of output values
 * (blobs as base64, timestamps as epoch seconds, absent members omitted) and the one place an
 * error becomes `{"__type", "message"}` with its status.
 */
import { AwsError } from '../errors/aws-error.ts';
import { KMSInternalException } from '../errors/kms-errors.ts';
import { SerializationException, UnknownOperationException } from '../errors/common-errors.ts';

export const JSON_11 = 'application/x-amz-json-1.1';
export const TARGET_PREFIX = 'TrentService.';

/** The operation name of an `X-Amz-Target` header, or UnknownOperationException. */
export function operationOf(target: string | undefined, known: ReadonlyMap<string, unknown>): string {
  if (target === undefined || !target.startsWith(TARGET_PREFIX)) throw new UnknownOperationException();
  const name = target.slice(TARGET_PREFIX.length);
  if (!known.has(name)) throw new UnknownOperationException();
  return name;
}

/** Strict UTF-8: a body that is not valid UTF-8 is refused rather than silently given U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** In `u` mode a surrogate class only matches surrogates that are not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** A `\uD800`..`\uDFFF` escape in the JSON text: the only way a parsed string can hold a lone surrogate. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Whether any string (member name or value) in a parsed JSON value holds an unpaired surrogate. Iterative: bodies nest deeply. */
function hasLoneSurrogate(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new SerializationException('Invalid UTF-8 in the request body.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SerializationException('Start of structure or map found where not expected.');
  }
  // A lone surrogate is no Unicode text: it has no UTF-8 form (encryption contexts, storage) to act on.
  if (SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(parsed)) {
    throw new SerializationException('Invalid JSON string: unpaired UTF-16 surrogate escape.');
  }
  return parsed;
}

/** Converts an output value to its JSON 1.1 form. */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = toWire(v);
    return out;
  }
  return value;
}

/** Serializes an output and then zeroes every top-level byte buffer in it (plaintexts, data keys). */
export function serializeOutput(output: object | undefined): string {
  if (output === undefined) return '';
  const text = JSON.stringify(toWire(output));
  for (const v of Object.values(output)) if (v instanceof Uint8Array) v.fill(0);
  return text;
}

export interface ErrorAnswer {
  readonly status: number;
  readonly body: string;
  readonly code: string;
  /** Set for an unexpected error: what to log (never sent). */
  readonly cause?: unknown;
}

export function errorAnswer(e: unknown): ErrorAnswer {
  const err = e instanceof AwsError ? e : new KMSInternalException();
  const body: Record<string, string> = { __type: err.code };
  if (err.message !== '') body.message = err.message;
  return { status: err.status, body: JSON.stringify(body), code: err.code, ...(e instanceof AwsError ? {} : { cause: e }) };
}
