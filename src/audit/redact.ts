/**
 * What of a request or an answer may go into an audit record (CloudTrail's requestParameters and
 * responseElements): the model's shapes are walked, member names become lowerCamelCase, and
 * nothing secret survives. Dropped are members whose shape is marked `sensitive` (Plaintext,
 * SecretAccessKey, KeyStorePassword, ...) or contains one, every blob (CloudTrail never logs
 * plaintext, ciphertext, signatures, MACs or public-key bytes), and, whatever the model says, the
 * members named in SECRET_MEMBERS. Timestamps read as CloudTrail writes them ("Aug 10, 2022,
 * 10:38:27 PM", UTC).
 */
import type { Shape } from '../wire/model.ts';

export type ShapeLookup = (name: string) => Shape;

/**
 * Never recorded, by name, in case a model does not mark them: plaintexts and key material,
 * credentials, and grant tokens (bearer references to a grant) in answers.
 */
export const SECRET_MEMBERS: ReadonlySet<string> = new Set([
  'Plaintext', 'PrivateKeyPlaintext', 'SecretAccessKey', 'SessionToken', 'KeyStorePassword', 'SharedSecret',
  'XksProxyAuthenticationCredential', 'RawSecretAccessKey', 'ImportToken', 'EncryptedKeyMaterial', 'WrappingKey',
  'Password', 'NewPassword', 'OldPassword',
]);
const SECRET_OUTPUT_MEMBERS: ReadonlySet<string> = new Set(['GrantToken']);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const two = (n: number): string => String(n).padStart(2, '0');

/** CloudTrail's rendering of a date inside requestParameters/responseElements (UTC). */
export function cloudTrailDate(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return `${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h12}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

const lowerFirst = (s: string): string => (s.length > 0 ? s.charAt(0).toLowerCase() + s.slice(1) : s);

function containsSecret(lookup: ShapeLookup, name: string, seen: Set<string>): boolean {
  if (seen.has(name)) return false;
  seen.add(name);
  const shape = lookup(name);
  if (shape.sensitive || shape.type === 'blob') return true;
  switch (shape.type) {
    case 'list': return containsSecret(lookup, shape.member.shape, seen);
    case 'map': return containsSecret(lookup, shape.key.shape, seen) || containsSecret(lookup, shape.value.shape, seen);
    default: return false;
  }
}

const dropCache = new WeakMap<ShapeLookup, Map<string, boolean>>();

/** Whether a member of this shape is dropped whole: sensitive or a blob, or a list/map of them. */
function dropped(lookup: ShapeLookup, shapeName: string): boolean {
  let cache = dropCache.get(lookup);
  if (!cache) { cache = new Map(); dropCache.set(lookup, cache); }
  let hit = cache.get(shapeName);
  if (hit === undefined) { hit = containsSecret(lookup, shapeName, new Set()); cache.set(shapeName, hit); }
  return hit;
}

/** A structure member that may be recorded: its name, its name in the record, its shape. */
interface MemberPlan {
  readonly name: string;
  readonly recorded: string;
  readonly shape: string;
}

const planCache = new WeakMap<ShapeLookup, Map<string, readonly MemberPlan[]>>();

/** The members of a structure that can be recorded (not secret, not dropped), worked out once per shape. */
function structurePlan(lookup: ShapeLookup, shapeName: string, shape: Shape & { type: 'structure' }, output: boolean): readonly MemberPlan[] {
  let cache = planCache.get(lookup);
  if (!cache) { cache = new Map(); planCache.set(lookup, cache); }
  const key = (output ? 'out:' : 'in:') + shapeName;
  let plan = cache.get(key);
  if (plan === undefined) {
    const members: MemberPlan[] = [];
    for (const [name, ref] of Object.entries(shape.members)) {
      if (SECRET_MEMBERS.has(name) || (output && SECRET_OUTPUT_MEMBERS.has(name))) continue;
      if (dropped(lookup, ref.shape)) continue;
      members.push({ name, recorded: lowerFirst(name), shape: ref.shape });
    }
    plan = members;
    cache.set(key, plan);
  }
  return plan;
}

function toMillis(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

function walk(lookup: ShapeLookup, shapeName: string, value: unknown, output: boolean): unknown {
  if (value === undefined || value === null) return undefined;
  const shape = lookup(shapeName);
  if (shape.sensitive || shape.type === 'blob') return undefined;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return undefined;
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const m of structurePlan(lookup, shapeName, shape, output)) {
        if (!Object.hasOwn(src, m.name)) continue;
        const v = walk(lookup, m.shape, src[m.name], output);
        if (v !== undefined) out[m.recorded] = v;
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((v) => walk(lookup, shape.member.shape, v, output) ?? null) : undefined;
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return undefined;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const w = walk(lookup, shape.value.shape, v, output);
        if (w !== undefined) out[k] = w;
      }
      return out;
    }
    case 'timestamp': {
      const ms = toMillis(value);
      return ms === undefined ? undefined : cloudTrailDate(ms);
    }
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    default:
      return typeof value === 'number' ? value : undefined;
  }
}

/**
 * The audit form of a request (`output` false) or an answer (`output` true) of the structure
 * `shapeName`; null when nothing is left (CloudTrail writes `null`, not `{}`).
 */
export function redact(lookup: ShapeLookup, shapeName: string | undefined, value: unknown, output: boolean): Record<string, unknown> | null {
  if (shapeName === undefined || value === undefined || value === null) return null;
  const r = walk(lookup, shapeName, value, output);
  if (r === undefined || typeof r !== 'object' || r === null || Array.isArray(r)) return null;
  return Object.keys(r).length === 0 ? null : (r as Record<string, unknown>);
}
