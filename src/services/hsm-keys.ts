/**
 * Crypto users' keys on the tokens of a Coffer HSM cluster (design/hsm-tier.md §1.2, §3.2, §3.4):
 * the token work behind the data plane's key operations. Each function takes the cluster as read
 * and answers what to record; the repository is the source of truth.
 *
 * - A new key is generated in the owner's partition on the primary HSM (the first ACTIVE one),
 *   wrapped there under the cluster key CK (the blob the repository keeps), and unwrapped into the
 *   owner's partition on every other ACTIVE HSM with the same CKA_ID (the key reference), and into
 *   each sharee's partition with CKA_EXTRACTABLE=false (such a copy can never be wrapped).
 *   Public keys are plain C_CreateObject copies. Owner copies are CKA_EXTRACTABLE=true with
 *   CKA_WRAP_WITH_TRUSTED=true: they leave a token only under CK; CloudHSM's `extractable` is
 *   Coffer-level (§1.1).
 * - Attribute changes that live on the token (label, usage flags) replace the copies: destroy,
 *   then unwrap the blob again with the new template.
 * - The PINs are the users' partition PINs, opened from the seal (Coffer acts as the appliance user).
 *
 * Limits of this slice: an HSM that is not ACTIVE gets no copy and nothing catches it up later (no
 * reconciler yet: its coverage shows `partial`); a failure halfway destroys what was made, best effort.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import type { ClusterRecord, HsmRecord } from '../domain/cluster.ts';
import { CLUSTER_KEY_ID, pinSealOfUser, userOf } from '../domain/hsm-users.ts';
import {
  HsmKeyProblem, keyIdOf, newKeyReference, usageOn, type AttributeValue, type EcCurveName, type HsmKeyRecord, type HsmKeyType,
} from '../domain/hsm-keys.ts';
import { HsmError, type HsmModule, type PrivateKeyTemplate, type PublicKeyTemplate, type SecretKeyTemplate, type SignMechanism, type TokenSession, type WrapMechanism } from '../ports/hsm.ts';
import type { HsmUserDeps } from './hsm-users.ts';

const activeHsms = (c: ClusterRecord): HsmRecord[] => c.hsms.filter((h) => h.state === 'ACTIVE' && h.tokenSerial !== undefined);

function needModule(deps: HsmUserDeps): HsmModule {
  if (deps.module === undefined) throw new HsmKeyProblem('No HSM module is configured.');
  return deps.module;
}

/** Runs `fn` in `username`'s partition on HSM `h` (opened with its sealed PIN); undefined when it has none there. */
async function inPartition<T>(deps: HsmUserDeps, c: ClusterRecord, username: string, h: HsmRecord, fn: (s: TokenSession) => Promise<T>): Promise<T> {
  const user = userOf(c.users, username);
  const serial = user?.partitions[h.hsmId];
  if (user === undefined || serial === undefined || user.pinSealed === undefined) throw new HsmKeyProblem(`The user ${username} has no partition on the HSM ${h.hsmId}.`);
  const pin = deps.secrets.open(pinSealOfUser(c.clusterId, username), user.pinSealed);
  const s = await needModule(deps).openSession(serial, pin);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const hasPartition = (c: ClusterRecord, username: string, h: HsmRecord): boolean => userOf(c.users, username)?.partitions[h.hsmId] !== undefined;

type SecretUsage = SecretKeyTemplate['usage'][number];
type PrivateUsage = PrivateKeyTemplate['usage'][number];
type PublicUsage = PublicKeyTemplate['usage'][number];

const secretTemplate = (k: HsmKeyRecord, extractable: boolean): SecretKeyTemplate => ({
  id: keyIdOf(k.keyReference), label: String(k.attributes.label), usage: usageOn(k) as SecretUsage[], wrapWithTrusted: true, extractable,
  keyType: k.keyType === 'generic-secret' ? 'generic-secret' : 'aes',
});
const privateTemplate = (k: HsmKeyRecord, extractable: boolean): PrivateKeyTemplate => ({
  id: keyIdOf(k.keyReference), label: String(k.attributes.label), keyType: k.keyType === 'ec' ? 'ec' : 'rsa', usage: usageOn(k) as PrivateUsage[], wrapWithTrusted: true, extractable,
});
const publicTemplate = (k: HsmKeyRecord): PublicKeyTemplate => ({ id: keyIdOf(k.keyReference), label: String(k.attributes.label), usage: usageOn(k) as PublicUsage[] });

/** Puts the copy of `k` into `username`'s partition through session `s` (owner: extractable under CK; sharee: not extractable). */
export async function putCopy(s: TokenSession, k: HsmKeyRecord, sharee: boolean): Promise<void> {
  const blob = Buffer.from(k.blob ?? '', 'base64');
  if (k.class === 'secret-key') await s.unwrap(CLUSTER_KEY_ID, blob, secretTemplate(k, !sharee));
  else if (k.class === 'private-key') await s.unwrapPrivate(CLUSTER_KEY_ID, blob, privateTemplate(k, !sharee));
  else await s.createPublicKey(publicTemplate(k), Buffer.from(k.publicKey ?? '', 'base64'));
}

/** Every partition (hsm, user) holding copies of `k`: the owner's and the sharees' on each HSM with a partition. */
function holders(c: ClusterRecord, k: HsmKeyRecord, hsms: readonly HsmRecord[]): { h: HsmRecord; username: string; sharee: boolean }[] {
  const users = [{ username: k.owner, sharee: false }, ...(k.class === 'public-key' ? [] : k.sharedUsers.map((username) => ({ username, sharee: true })))];
  return hsms.flatMap((h) => users.filter((u) => hasPartition(c, u.username, h)).map((u) => ({ h, ...u })));
}

/** Destroys the copies of these keys in these partitions, best effort (an HSM away keeps its copy). */
async function destroyCopies(deps: HsmUserDeps, c: ClusterRecord, keys: readonly HsmKeyRecord[], where: (k: HsmKeyRecord) => { h: HsmRecord; username: string }[]): Promise<void> {
  for (const k of keys) {
    for (const p of where(k)) {
      await inPartition(deps, c, p.username, p.h, (s) => s.destroy(keyIdOf(k.keyReference))).catch(() => undefined);
    }
  }
}

function needPrimary(c: ClusterRecord, owner: string): HsmRecord[] {
  const hsms = activeHsms(c).filter((h) => hasPartition(c, owner, h));
  if (hsms.length === 0) throw new HsmKeyProblem(`The cluster ${c.clusterId} has no ACTIVE HSM with a partition of ${owner}.`);
  return hsms;
}

export interface NewSymmetric {
  readonly owner: string;
  readonly keyType: 'aes' | 'generic-secret';
  readonly bytes: number;
  readonly attributes: Record<string, AttributeValue>;
  readonly shareWith: readonly string[];
  readonly now: number;
}

/** Generates a secret key, replicated and shared as above; answers its record. */
export async function generateSymmetric(deps: HsmUserDeps, c: ClusterRecord, n: NewSymmetric): Promise<HsmKeyRecord> {
  const hsms = needPrimary(c, n.owner);
  const base: HsmKeyRecord = {
    keyReference: newKeyReference(), owner: n.owner, sharedUsers: [...n.shareWith], class: 'secret-key', keyType: n.keyType,
    attributes: n.attributes, hsms: [], createdAt: n.now,
  };
  const [primary, ...others] = hsms as [HsmRecord, ...HsmRecord[]];
  const template = secretTemplate(base, true);
  const blob = await inPartition(deps, c, n.owner, primary, async (s) => {
    await s.generateSecret(template, n.bytes);
    return s.wrap(CLUSTER_KEY_ID, template.id);
  });
  const k: HsmKeyRecord = { ...base, blob: blob.toString('base64'), hsms: hsms.map((h) => h.hsmId) };
  return replicate(deps, c, [k], primary, others);
}

export interface NewPair {
  readonly owner: string;
  readonly spec: { kind: 'rsa'; bits: number; publicExponent: number } | { kind: 'ec'; curve: EcCurveName };
  readonly privateAttributes: Record<string, AttributeValue>;
  readonly publicAttributes: Record<string, AttributeValue>;
  readonly shareWith: readonly string[];
  readonly now: number;
}

/** Generates a key pair (two records, two key references); answers [public, private]. */
export async function generatePair(deps: HsmUserDeps, c: ClusterRecord, n: NewPair): Promise<[HsmKeyRecord, HsmKeyRecord]> {
  const hsms = needPrimary(c, n.owner);
  const keyType: HsmKeyType = n.spec.kind;
  const pubRef = newKeyReference();
  const privRef = newKeyReference();
  const common = { owner: n.owner, keyType, hsms: [], createdAt: n.now };
  const pub0: HsmKeyRecord = { ...common, keyReference: pubRef, sharedUsers: [], class: 'public-key', attributes: n.publicAttributes, pairReference: privRef };
  const priv0: HsmKeyRecord = { ...common, keyReference: privRef, sharedUsers: [...n.shareWith], class: 'private-key', attributes: n.privateAttributes, pairReference: pubRef };
  const [primary, ...others] = hsms as [HsmRecord, ...HsmRecord[]];
  const made = await inPartition(deps, c, n.owner, primary, async (s) => {
    const spki = await s.generateKeyPair(n.spec, privateTemplate(priv0, true), publicTemplate(pub0));
    return { spki, blob: await s.wrapPrivate(CLUSTER_KEY_ID, keyIdOf(privRef)) };
  });
  const on = hsms.map((h) => h.hsmId);
  const pub: HsmKeyRecord = { ...pub0, publicKey: made.spki.toString('base64'), hsms: on, attributes: { ...pub0.attributes, ...publicSize(made.spki) } };
  const priv: HsmKeyRecord = { ...priv0, blob: made.blob.toString('base64'), hsms: on };
  const [p, q] = await replicateAll(deps, c, [pub, priv], primary, others);
  return [p as HsmKeyRecord, q as HsmKeyRecord];
}

function publicSize(spki: Buffer): Record<string, AttributeValue> {
  const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
  return jwk.kty === 'RSA' ? { modulus: `0x${Buffer.from(jwk.n ?? '', 'base64url').toString('hex')}` } : {};
}

async function replicate(deps: HsmUserDeps, c: ClusterRecord, keys: HsmKeyRecord[], primary: HsmRecord, others: readonly HsmRecord[]): Promise<HsmKeyRecord> {
  return (await replicateAll(deps, c, keys, primary, others))[0] as HsmKeyRecord;
}

/**
 * Copies the keys made on `primary` into the owner's partition on `others` and into the sharees'
 * partitions everywhere; on a failure, destroys every copy made (best effort) and rethrows.
 */
async function replicateAll(deps: HsmUserDeps, c: ClusterRecord, keys: HsmKeyRecord[], primary: HsmRecord, others: readonly HsmRecord[]): Promise<HsmKeyRecord[]> {
  const all = [primary, ...others];
  try {
    for (const k of keys) {
      for (const p of holders(c, k, all)) {
        if (p.h === primary && !p.sharee) continue;
        await inPartition(deps, c, p.username, p.h, (s) => putCopy(s, k, p.sharee));
      }
    }
    return keys;
  } catch (e) {
    await destroyCopies(deps, c, keys, (k) => holders(c, k, all));
    throw e;
  }
}

/** Destroys every copy of the key (owner's and sharees', on every HSM that answers). */
export async function destroyKey(deps: HsmUserDeps, c: ClusterRecord, k: HsmKeyRecord): Promise<void> {
  needModule(deps);
  await destroyCopies(deps, c, [k], (key) => holders(c, key, c.hsms.filter((h) => h.tokenSerial !== undefined && h.state !== 'DELETED')));
}

/** Unwraps a non-extractable copy of `k` into `sharee`'s partition on every ACTIVE HSM. */
export async function shareKey(deps: HsmUserDeps, c: ClusterRecord, k: HsmKeyRecord, sharee: string): Promise<void> {
  const done: HsmRecord[] = [];
  try {
    for (const h of activeHsms(c).filter((x) => hasPartition(c, sharee, x))) {
      await inPartition(deps, c, sharee, h, async (s) => {
        await s.destroy(keyIdOf(k.keyReference)); // a copy left by an earlier attempt
        await putCopy(s, k, true);
      });
      done.push(h);
    }
  } catch (e) {
    await destroyCopies(deps, c, [k], () => done.map((h) => ({ h, username: sharee })));
    throw e;
  }
}

/** Destroys `sharee`'s copies of `k`. */
export async function unshareKey(deps: HsmUserDeps, c: ClusterRecord, k: HsmKeyRecord, sharee: string): Promise<void> {
  needModule(deps);
  await destroyCopies(deps, c, [k], () => c.hsms.filter((h) => h.tokenSerial !== undefined && hasPartition(c, sharee, h)).map((h) => ({ h, username: sharee })));
}

/** Replaces every copy of `k` (now `changed`) on the ACTIVE HSMs: destroy, then unwrap with the new template. */
export async function replaceCopies(deps: HsmUserDeps, c: ClusterRecord, changed: HsmKeyRecord): Promise<void> {
  for (const p of holders(c, changed, activeHsms(c))) {
    await inPartition(deps, c, p.username, p.h, async (s) => {
      await s.destroy(keyIdOf(changed.keyReference));
      await putCopy(s, changed, p.sharee);
    });
  }
}

/** Runs `fn` in `username`'s partition on an ACTIVE HSM (another one once after a device failure). */
async function onSomeHsm<T>(deps: HsmUserDeps, c: ClusterRecord, username: string, fn: (s: TokenSession) => Promise<T>): Promise<T> {
  const hsms = activeHsms(c).filter((h) => hasPartition(c, username, h));
  if (hsms.length === 0) throw new HsmKeyProblem(`The cluster ${c.clusterId} has no ACTIVE HSM with a partition of ${username}.`);
  const start = Math.floor(Math.random() * hsms.length);
  for (let i = 0; ; i++) {
    const h = hsms[(start + i) % hsms.length] as HsmRecord;
    try {
      return await inPartition(deps, c, username, h, fn);
    } catch (e) {
      const retry = e instanceof HsmError && (e.kind === 'device-error' || e.kind === 'token-not-present') && i === 0 && hsms.length > 1;
      if (!retry) throw e;
    }
  }
}

/** `payload` (a secret key) wrapped with `mechanism` under `wrapping`, in `username`'s partition (the key never leaves the token in the clear). */
export async function wrapKey(deps: HsmUserDeps, c: ClusterRecord, username: string, payload: HsmKeyRecord, wrapping: HsmKeyRecord, mechanism: WrapMechanism): Promise<Buffer> {
  return onSomeHsm(deps, c, username, (s) =>
    s.exportWrapped(CLUSTER_KEY_ID, Buffer.from(payload.blob ?? '', 'base64'), secretTemplate(payload, true), keyIdOf(wrapping.keyReference), mechanism));
}

export interface Unwrapped {
  readonly owner: string;
  readonly unwrapping: HsmKeyRecord;
  readonly mechanism: WrapMechanism;
  readonly wrapped: Buffer;
  readonly keyType: 'aes' | 'generic-secret';
  readonly attributes: Record<string, AttributeValue>;
  readonly now: number;
}

/** Unwraps a key into the owner's partition on the primary HSM, masks it under CK there and replicates it; answers its record. */
export async function unwrapKey(deps: HsmUserDeps, c: ClusterRecord, n: Unwrapped): Promise<HsmKeyRecord> {
  const hsms = needPrimary(c, n.owner);
  const base: HsmKeyRecord = {
    keyReference: newKeyReference(), owner: n.owner, sharedUsers: [], class: 'secret-key', keyType: n.keyType, attributes: n.attributes, hsms: [], createdAt: n.now,
  };
  const [primary, ...others] = hsms as [HsmRecord, ...HsmRecord[]];
  const template = secretTemplate(base, true);
  const blob = await inPartition(deps, c, n.owner, primary, async (s) => {
    await s.importWrapped(keyIdOf(n.unwrapping.keyReference), n.mechanism, n.wrapped, template);
    try {
      return await s.wrap(CLUSTER_KEY_ID, template.id);
    } catch (e) {
      await s.destroy(template.id).catch(() => 0);
      throw e;
    }
  });
  const k: HsmKeyRecord = { ...base, blob: blob.toString('base64'), hsms: hsms.map((h) => h.hsmId) };
  return replicate(deps, c, [k], primary, others);
}

/** Signs in `username`'s partition on an ACTIVE HSM (another one once after a device failure). */
export async function signWith(deps: HsmUserDeps, c: ClusterRecord, username: string, k: HsmKeyRecord, mechanism: SignMechanism, data: Buffer): Promise<Buffer> {
  return onSomeHsm(deps, c, username, (s) => s.sign(keyIdOf(k.keyReference), mechanism, data));
}

/** Verifies a signature with a public key record (node:crypto on its SPKI; ECDSA signatures are r||s). */
export function verifyWith(k: HsmKeyRecord, mechanism: SignMechanism, data: Buffer, signature: Buffer): boolean {
  const key = createPublicKey({ key: Buffer.from(k.publicKey ?? '', 'base64'), format: 'der', type: 'spki' });
  return nodeVerify(mechanism.hash, data, mechanism.scheme === 'ecdsa' ? { key, dsaEncoding: 'ieee-p1363' } : key, signature);
}
