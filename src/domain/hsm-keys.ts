/**
 * Keys of crypto users in a Coffer HSM cluster (design/hsm-tier.md §1.1, §1.2, §3.2, §3.4; HSM.md
 * "Key attributes"), as the repository keeps them: owner, sharees, CloudHSM-named attributes, the
 * key reference (CKA_ID of every copy on every HSM), the blob (C_WrapKey under the cluster key CK,
 * never key material in the clear) and, for a public key, its SPKI. Pure rules only: which
 * attributes may be given at generation and changed later, filters, visibility, output shapes.
 */
import { randomBytes } from 'node:crypto';

export type HsmKeyClass = 'secret-key' | 'private-key' | 'public-key';
export type HsmKeyType = 'aes' | 'generic-secret' | 'rsa' | 'ec';
export type AttributeValue = string | number | boolean;

export interface HsmKeyRecord {
  /** `0x` and 16 hex digits; its 8 bytes are the CKA_ID of every copy. */
  readonly keyReference: string;
  readonly owner: string;
  readonly sharedUsers: readonly string[];
  readonly class: HsmKeyClass;
  readonly keyType: HsmKeyType;
  /** CloudHSM CLI names (label, id, encrypt, …, extractable, modifiable, key-length-bytes, curve, …). */
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** Secret and private keys: CKM_AES_KEY_WRAP_PAD of the key under CK (base64). */
  readonly blob?: string;
  /** Public keys: SubjectPublicKeyInfo DER (base64). */
  readonly publicKey?: string;
  /** The other half of a pair. */
  readonly pairReference?: string;
  /** The HSMs whose owner partition holds a copy (cluster-coverage). */
  readonly hsms: readonly string[];
  readonly createdAt: number;
}

/** A refusal the data plane answers as a 4xx with this message. */
export class HsmKeyProblem extends Error {
  override readonly name = 'HsmKeyProblem';
}

/** At most this many keys per cluster (CloudHSM hsm1.medium's quota). */
export const MAX_KEYS_PER_CLUSTER = 3300;
export const MAX_LABEL_CHARS = 127;
/** How many deleted key references a cluster remembers for HSMs that were away (domain/cluster.ts deletedKeys). */
export const MAX_DELETED_KEYS = 10_000;

export const EC_CURVES = ['secp256r1', 'secp384r1', 'secp521r1'] as const;
export type EcCurveName = (typeof EC_CURVES)[number];

export const newKeyReference = (): string => `0x${randomBytes(8).toString('hex')}`;
export const keyIdOf = (keyReference: string): Buffer => Buffer.from(keyReference.slice(2), 'hex');

const USAGE_BY_CLASS: Readonly<Record<HsmKeyClass, readonly string[]>> = {
  'secret-key': ['encrypt', 'decrypt', 'sign', 'verify', 'wrap', 'unwrap'],
  'private-key': ['sign', 'decrypt', 'unwrap'],
  'public-key': ['verify', 'encrypt', 'wrap'],
};
const EC_USAGE: Readonly<Record<HsmKeyClass, readonly string[]>> = { 'secret-key': [], 'private-key': ['sign'], 'public-key': ['verify'] };
const ALL_USAGE = ['encrypt', 'decrypt', 'sign', 'verify', 'wrap', 'unwrap'] as const;

/** The usage flags a key of this class and type may have. */
export const usagesOf = (cls: HsmKeyClass, keyType: HsmKeyType): readonly string[] =>
  keyType === 'ec' ? EC_USAGE[cls] : keyType === 'generic-secret' ? ['sign', 'verify'] : USAGE_BY_CLASS[cls];

/** The usage flags that are true. */
export const usageOn = (k: Pick<HsmKeyRecord, 'attributes'>): string[] => ALL_USAGE.filter((u) => k.attributes[u] === true);

function parseBool(name: string, v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new HsmKeyProblem(`The attribute ${name} takes true or false, not '${v}'.`);
}

/** `NAME=VALUE` pairs (as cloudhsm-cli's --attributes take them), each name once. */
export function parseAssignments(items: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (items.length > 64) throw new HsmKeyProblem('At most 64 attributes can be given.');
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new HsmKeyProblem(`An attribute is given as KEY_ATTRIBUTE_NAME=KEY_ATTRIBUTE_VALUE, not '${item.slice(0, 80)}'.`);
    const name = item.slice(0, eq).trim().toLowerCase();
    if (out.has(name)) throw new HsmKeyProblem(`The attribute ${name} is given twice.`);
    out.set(name, item.slice(eq + 1).trim());
  }
  return out;
}

export function labelProblem(label: unknown): string | undefined {
  if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL_CHARS) return `A label has 1 to ${MAX_LABEL_CHARS} characters.`;
  if (/[\u0000-\u001f\u007f]/.test(label)) return 'A label cannot contain control characters.';
  return undefined;
}

function idValue(v: string): string {
  if (!/^0x([0-9a-fA-F]{2}){0,32}$/.test(v)) throw new HsmKeyProblem(`The attribute id is hex bytes written 0x…, at most 32 bytes, not '${v.slice(0, 80)}'.`);
  return v.toLowerCase();
}

/**
 * The attributes of a new key of this class: CloudHSM's defaults, then `given` (from --attributes,
 * --public-attributes or --private-attributes), checked against what a key of this kind may have.
 * Coffer keeps every key a token key, private (secret and private keys), sensitive; derive is not offered.
 */
export function newKeyAttributes(cls: HsmKeyClass, keyType: HsmKeyType, label: string, given: ReadonlyMap<string, string>, size: Record<string, AttributeValue>): Record<string, AttributeValue> {
  const problem = labelProblem(label);
  if (problem !== undefined) throw new HsmKeyProblem(problem);
  const secretOrPrivate = cls !== 'public-key';
  const attrs: Record<string, AttributeValue> = {
    'key-type': keyType, class: cls, label, id: '0x', token: true, private: secretOrPrivate, sensitive: secretOrPrivate,
    'always-sensitive': secretOrPrivate, extractable: true, 'never-extractable': false, local: true, modifiable: true, destroyable: true,
    trusted: false, 'wrap-with-trusted': false, derive: false,
    ...Object.fromEntries(ALL_USAGE.map((u) => [u, false])),
    ...(cls === 'secret-key' ? { sign: true, verify: true } : {}),
    ...size,
  };
  const usages = usagesOf(cls, keyType);
  for (const [name, v] of given) {
    if ((ALL_USAGE as readonly string[]).includes(name)) {
      const on = parseBool(name, v);
      if (on && !usages.includes(name)) throw new HsmKeyProblem(`A ${keyType} ${cls} cannot have ${name}=true (it may have: ${usages.join(', ') || 'none'}).`);
      attrs[name] = on;
    } else if (name === 'label') {
      const p = labelProblem(v);
      if (p !== undefined) throw new HsmKeyProblem(p);
      attrs.label = v;
    } else if (name === 'id') {
      attrs.id = idValue(v);
    } else if (['extractable', 'modifiable', 'destroyable', 'wrap-with-trusted'].includes(name)) {
      if (name === 'extractable' && cls === 'public-key' && !parseBool(name, v)) throw new HsmKeyProblem('A public key is always extractable.');
      attrs[name] = parseBool(name, v);
    } else if (name === 'token' || (secretOrPrivate && (name === 'private' || name === 'sensitive'))) {
      if (!parseBool(name, v)) throw new HsmKeyProblem(`Coffer keeps every ${cls} ${name === 'token' ? 'a token key (session keys are not offered)' : name}: ${name}=false is refused.`);
    } else if (name === 'derive') {
      if (parseBool(name, v)) throw new HsmKeyProblem('derive=true is not offered by Coffer (no derivation mechanism).');
    } else if (name === 'trusted') {
      throw new HsmKeyProblem('Only an admin can set trusted, with key set-attribute.');
    } else {
      throw new HsmKeyProblem(`The attribute ${name} cannot be set when a key is generated.`);
    }
  }
  attrs['never-extractable'] = attrs.extractable === false;
  return attrs;
}

/**
 * The attributes after `key set-attribute NAME=VALUE` (design §3.4): usage flags of the key's
 * kind, label and id freely; modifiable and destroyable true → false only; wrap-with-trusted
 * false → true only; token true only; trusted by an admin only. Nothing changes on a key whose
 * modifiable is false (but trusted, which an admin may set on any key).
 */
export function changedAttributes(k: HsmKeyRecord, name: string, value: string, byAdmin: boolean): Record<string, AttributeValue> {
  const n = name.toLowerCase();
  const attrs: Record<string, AttributeValue> = { ...k.attributes };
  if (byAdmin !== (n === 'trusted')) {
    throw new HsmKeyProblem(byAdmin ? 'An admin can set only the trusted attribute of a key.' : 'Only an admin can set trusted.');
  }
  if (n === 'trusted') {
    attrs.trusted = parseBool(n, value);
    return attrs;
  }
  if (k.attributes.modifiable === false) throw new HsmKeyProblem(`The key ${k.keyReference} is not modifiable.`);
  if ((ALL_USAGE as readonly string[]).includes(n)) {
    const on = parseBool(n, value);
    if (on && !usagesOf(k.class, k.keyType).includes(n)) throw new HsmKeyProblem(`A ${k.keyType} ${k.class} cannot have ${n}=true.`);
    attrs[n] = on;
  } else if (n === 'label') {
    const p = labelProblem(value);
    if (p !== undefined) throw new HsmKeyProblem(p);
    attrs.label = value;
  } else if (n === 'id') {
    attrs.id = idValue(value);
  } else if (n === 'modifiable' || n === 'destroyable') {
    const v = parseBool(n, value);
    if (v && attrs[n] === false) throw new HsmKeyProblem(`The attribute ${n} can change from true to false only.`);
    attrs[n] = v;
  } else if (n === 'wrap-with-trusted') {
    const v = parseBool(n, value);
    if (!v && attrs[n] === true) throw new HsmKeyProblem('The attribute wrap-with-trusted is read-only once true.');
    attrs[n] = v;
  } else if (n === 'token') {
    if (!parseBool(n, value)) throw new HsmKeyProblem('A token key cannot become a session key.');
  } else {
    throw new HsmKeyProblem(`The attribute ${n} is read-only.`);
  }
  return attrs;
}

/** Whether the token copies must be replaced for this change (the attribute is on the token object). */
export const onToken = (name: string): boolean => ['label', ...ALL_USAGE].includes(name.toLowerCase());

/** A `--filter`: `key-reference=0x…` and `attr.NAME=VALUE` terms, all of which must match. */
export interface KeyFilter {
  readonly keyReference?: bigint;
  readonly attrs: ReadonlyMap<string, string>;
}

export function parseFilter(terms: readonly string[]): KeyFilter {
  let keyReference: bigint | undefined;
  const attrs = new Map<string, string>();
  for (const [name, v] of parseAssignments(terms)) {
    if (name === 'key-reference') {
      if (!/^0x[0-9a-f]{1,16}$/i.test(v)) throw new HsmKeyProblem(`key-reference is written 0x and up to 16 hex digits, not '${v.slice(0, 40)}'.`);
      keyReference = BigInt(v);
    } else if (name.startsWith('attr.') && name.length > 5) {
      attrs.set(name.slice(5), v);
    } else {
      throw new HsmKeyProblem(`A filter term is key-reference=0x… or attr.KEY_ATTRIBUTE_NAME=KEY_ATTRIBUTE_VALUE, not '${name.slice(0, 60)}'.`);
    }
  }
  return keyReference === undefined ? { attrs } : { keyReference, attrs };
}

export function matches(k: HsmKeyRecord, f: KeyFilter): boolean {
  if (f.keyReference !== undefined && BigInt(k.keyReference) !== f.keyReference) return false;
  for (const [name, v] of f.attrs) {
    const have = k.attributes[name];
    if (have === undefined || String(have).toLowerCase() !== v.toLowerCase()) return false;
  }
  return true;
}

/** What `username` sees (CloudHSM): keys it owns, keys shared with it, and every public key. */
export const visibleTo = (k: HsmKeyRecord, username: string): boolean =>
  k.owner === username || k.sharedUsers.includes(username) || k.class === 'public-key';

/** Whether `username` may use the key (owner or sharee). */
export const usableBy = (k: HsmKeyRecord, username: string): boolean => k.owner === username || k.sharedUsers.includes(username);

/** cloudhsm-cli's key object: key-reference, key-info (owners, sharees, coverage) and, verbose, every attribute. */
export function keyShape(k: HsmKeyRecord, liveHsmIds: readonly string[], verbose: boolean): Record<string, unknown> {
  const full = liveHsmIds.every((h) => k.hsms.includes(h));
  const coverage = full ? 'full' : 'partial';
  const publicPart = k.class === 'public-key' && k.publicKey !== undefined ? publicAttributes(k) : {};
  return {
    'key-reference': k.keyReference,
    'key-info': {
      'key-owners': [{ username: k.owner, 'key-coverage': coverage }],
      'shared-users': k.sharedUsers.map((u) => ({ username: u, 'key-coverage': coverage })),
      'key-quorum-values': { 'manage-key-quorum-value': 0, 'use-key-quorum-value': 0 },
      'cluster-coverage': coverage,
    },
    attributes: verbose ? { ...k.attributes, ...publicPart } : { label: k.attributes.label },
  };
}

function publicAttributes(k: HsmKeyRecord): Record<string, AttributeValue> {
  return k.keyType === 'ec' ? { 'ec-point': `0x${Buffer.from(k.publicKey ?? '', 'base64').subarray(-1 - 2 * ecBytes(k)).toString('hex')}` } : {};
}

const ecBytes = (k: HsmKeyRecord): number => ({ secp256r1: 32, secp384r1: 48, secp521r1: 66 } as Record<string, number>)[String(k.attributes.curve)] ?? 32;
