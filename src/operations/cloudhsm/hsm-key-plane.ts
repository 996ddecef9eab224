/**
 * Crypto users' keys on the Coffer HSM data plane (design/hsm-tier.md §3.2, §3.4, §3.5), in the
 * shape of cloudhsm-cli's `key …` and `crypto sign|verify` (CofferHsmService.<Operation>, JSON 1.1):
 *
 * - GenerateSymmetricKey {KeyType aes|generic-secret, Label, KeyLengthBytes, Attributes[], ShareCryptoUsers[]}
 * - GenerateKeyPair {KeyType rsa|ec, PublicLabel, PrivateLabel, ModulusSizeBits, PublicExponent | Curve,
 *   PublicAttributes[], PrivateAttributes[], ShareCryptoUsers[]}
 * - ListKeys {Filter[], Verbose, MaxItems}: the keys the caller owns or shares, and every public key
 * - DeleteKey {Filter}, SetKeyAttribute {Filter, Name, Value}, ShareKey / UnshareKey {Filter, Username, Role}
 * - Sign {Filter, Mechanism rsa-pkcs|ecdsa, HashFunction, Data (base64)}, Verify {… Signature}
 * - WrapKey {PayloadFilter, WrappingFilter, Mechanism aes-no-pad|rsa-oaep}: a secret key the caller
 *   owns, extractable, out of the token under the caller's AES key or its own RSA public key (through
 *   a transient session object: the token copies only ever leave under CK); the other cloudhsm-cli
 *   mechanisms are refused, SoftHSM has none of them.
 * - UnwrapKey {Filter (the unwrapping key), Mechanism, Data, KeyTypeClass aes|generic-secret, Label,
 *   Attributes}: a new key of the caller's, replicated as a generated one.
 * - Pkcs11Uris: the caller's partitions, one PKCS#11 URI per ACTIVE HSM.
 * - Login: checks the credentials (crypto user or admin), for the CLI's interactive mode.
 *
 * Each carries ClusterId and Auth {Username, Role, Password} of a crypto user (an admin is refused:
 * the rights table; it may only set `trusted`, through SetKeyAttribute). Only the owner deletes,
 * shares, unshares or changes a key; owner and sharees use it. A filter must match exactly one key
 * where one is needed. Every call is one audit record without requestParameters (not a model
 * operation), so no password, PIN, data or key value reaches it; answers carry no key material.
 * Every one is a state change in the operation table, so a failed login counts (hsm-login.ts).
 *
 * Errors: CloudHsmAccessDeniedException (credentials, lockout, role, not the owner),
 * CloudHsmResourceNotFoundException (no key matches), CloudHsmInvalidRequestException (input, rules
 * of design §3.4, a failed verification), CloudHsmInternalFailureException (a token refused).
 */
import { CloudHsmAccessDeniedException, CloudHsmInternalFailureException, CloudHsmInvalidRequestException, CloudHsmResourceNotFoundException, CloudHsmResourceLimitExceededException } from '../../errors/cloudhsm-errors.ts';
import { revise, type ClusterRecord } from '../../domain/cluster.ts';
import { userOf, type HsmUserRecord, type HsmUserRole } from '../../domain/hsm-users.ts';
import {
  changedAttributes, EC_CURVES, HsmKeyProblem, keyShape, matches, MAX_DELETED_KEYS, MAX_KEYS_PER_CLUSTER, newKeyAttributes, onToken, parseAssignments, parseFilter,
  usableBy, visibleTo, type EcCurveName, type HsmKeyRecord,
} from '../../domain/hsm-keys.ts';
import { HsmError, type SignMechanism, type WrapMechanism } from '../../ports/hsm.ts';
import {
  destroyKey, generatePair, generateSymmetric, replaceCopies, shareKey, signWith, unshareKey, unwrapKey, verifyWith, wrapKey,
} from '../../services/hsm-keys.ts';
import { authorizedCluster, save } from './common.ts';
import type { CloudHsmContext, CloudHsmOperation } from './context.ts';
import { checkLogin, settleLogin, type LoginVerdict } from './hsm-login.ts';

type Input = Record<string, unknown>;

const bad = (m: string) => new CloudHsmInvalidRequestException(m);

function text(input: Input, name: string, max = 256): string {
  const v = input[name];
  if (typeof v !== 'string' || v.length === 0) throw bad(`${name} is required.`);
  if (v.length > max) throw bad(`${name} has at most ${max} characters.`);
  return v;
}

function list(input: Input, name: string, max = 64): string[] {
  const v = input[name];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.length > 512) || v.length > max) throw bad(`${name} is a list of at most ${max} strings.`);
  return v as string[];
}

function integer(input: Input, name: string, min: number, max: number, fallback?: number): number {
  const v = input[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`${name} is an integer from ${min} to ${max}.`);
  return v;
}

function base64(input: Input, name: string, maxBytes: number): Buffer {
  const v = text(input, name, Math.ceil(maxBytes / 3) * 4 + 4);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw bad(`${name} is base64.`);
  return Buffer.from(v, 'base64');
}

const keysOf = (c: ClusterRecord): readonly HsmKeyRecord[] => c.keys ?? [];
const liveHsmIds = (c: ClusterRecord): string[] => c.hsms.filter((h) => h.state !== 'DELETED').map((h) => h.hsmId);
const shape = (c: ClusterRecord, k: HsmKeyRecord, verbose = true) => keyShape(k, liveHsmIds(c), verbose);

/** The one key `user` sees that `Filter` matches. */
function oneKey(c: ClusterRecord, input: Input, user: HsmUserRecord): HsmKeyRecord {
  const filter = parseFilter(list(input, 'Filter'));
  const found = keysOf(c).filter((k) => (user.role === 'admin' || visibleTo(k, user.username)) && matches(k, filter));
  if (found.length === 0) throw new CloudHsmResourceNotFoundException('No key matches the filter.');
  if (found.length > 1) throw bad(`The filter matches ${found.length} keys: narrow it (for example key-reference=0x…).`);
  return found[0] as HsmKeyRecord;
}

function needOwner(k: HsmKeyRecord, user: HsmUserRecord, what: string): void {
  if (k.owner !== user.username) throw new CloudHsmAccessDeniedException(`Only the owner of the key ${k.keyReference} can ${what} it.`);
}

function crypto(c: ClusterRecord, name: string): HsmUserRecord {
  const u = userOf(c.users, name);
  if (u === undefined || u.role !== 'crypto-user') throw bad(`${name} is not a crypto user of this cluster.`);
  return u;
}

function shareesOf(c: ClusterRecord, input: Input, owner: string): string[] {
  const names = [...new Set(list(input, 'ShareCryptoUsers', 32))];
  for (const n of names) {
    crypto(c, n);
    if (n === owner) throw bad('A key cannot be shared with its owner.');
  }
  return names;
}

/** What an operation planned on the cluster as read: how to change the record read under the lock, and the answer. */
interface KeyPlan {
  readonly apply?: (fresh: ClusterRecord) => ClusterRecord;
  readonly answer: object;
}

type Plan = (input: Input, ctx: CloudHsmContext, c: ClusterRecord, user: HsmUserRecord) => Promise<KeyPlan>;

interface Prepared { readonly verdict: LoginVerdict; readonly plan?: KeyPlan }

/** Token failures as a 5xx naming the PKCS#11 code; the domain's refusals as a 4xx. */
async function guarded<T>(c: ClusterRecord, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof HsmKeyProblem) throw bad(e.message);
    if (e instanceof HsmError) throw new CloudHsmInternalFailureException(`An HSM of cluster ${c.clusterId} refused: ${e.kind} (${e.code}).`);
    throw e;
  }
}

async function loaded(input: Input, ctx: CloudHsmContext, name: string): Promise<ClusterRecord> {
  const c = await authorizedCluster(ctx, name, text(input, 'ClusterId'));
  if (c.state !== 'ACTIVE' && c.state !== 'DEGRADED') throw bad(`The cluster ${c.clusterId} is in state ${c.state}: it must be initialized and activated first.`);
  return c;
}

/**
 * A key operation: the password check (scrypt) and the token work run in `prepare`, before the
 * state-change lock, on the cluster as read; `run` settles the login on the record read under the
 * lock (a failure counted and committed) and applies the plan to it.
 */
function keyOperation(name: string, roles: readonly HsmUserRole[], plan: Plan): CloudHsmOperation {
  return {
    name,
    prepare: async (input, ctx): Promise<Prepared> => {
      const c = await loaded(input, ctx, name);
      const verdict = await checkLogin(c, input.Auth);
      const user = userOf(c.users, verdict.username);
      const ok = user !== undefined && verdict.passwordOk && verdict.role === user.role && roles.includes(user.role) && (user.failedLogins ?? 0) < ctx.loginAttempts;
      return ok ? { verdict, plan: await guarded(c, () => plan(input, ctx, c, user)) } : { verdict };
    },
    run: async (input, ctx, prepared) => {
      const p = prepared as Prepared;
      const fresh = await loaded(input, ctx, name);
      const { user, cluster } = settleLogin(ctx, fresh, p.verdict, roles);
      const done = p.plan ?? await guarded(fresh, () => plan(input, ctx, fresh, user));
      const after = done.apply === undefined ? cluster : guardedSync(() => (done.apply as NonNullable<KeyPlan['apply']>)(cluster));
      if (after !== fresh) save(ctx, fresh, after);
      return done.answer;
    },
  };
}

function guardedSync<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof HsmKeyProblem) throw bad(e.message);
    throw e;
  }
}

/** Adds new keys to the record read under the lock (their owner must still be there). */
const adding = (owner: string, made: readonly HsmKeyRecord[]) => (fresh: ClusterRecord): ClusterRecord => {
  if (userOf(fresh.users, owner) === undefined) throw new HsmKeyProblem(`The user ${owner} was deleted meanwhile.`);
  if (keysOf(fresh).length + made.length > MAX_KEYS_PER_CLUSTER) throw new HsmKeyProblem(`A cluster holds at most ${MAX_KEYS_PER_CLUSTER} keys.`);
  return revise(fresh, { keys: [...keysOf(fresh), ...made] });
};

/** Replaces one key on the record read under the lock (gone meanwhile: refused). */
const changing = (ref: string, change: (k: HsmKeyRecord) => HsmKeyRecord | undefined) => (fresh: ClusterRecord): ClusterRecord => {
  const k = keysOf(fresh).find((x) => x.keyReference === ref);
  if (k === undefined) throw new HsmKeyProblem(`The key ${ref} was deleted meanwhile.`);
  const next = change(k);
  return revise(fresh, { keys: keysOf(fresh).flatMap((x) => (x === k ? (next === undefined ? [] : [next]) : [x])) });
};

function roomFor(c: ClusterRecord, n: number): void {
  if (keysOf(c).length + n > MAX_KEYS_PER_CLUSTER) throw new CloudHsmResourceLimitExceededException(`A cluster holds at most ${MAX_KEYS_PER_CLUSTER} keys.`);
}

const CU: readonly HsmUserRole[] = ['crypto-user'];

export const generateSymmetricKey = keyOperation('GenerateSymmetricKey', CU, async (input, ctx, c, user) => {
  const keyType = input.KeyType;
  if (keyType !== 'aes' && keyType !== 'generic-secret') throw bad('KeyType must be aes or generic-secret.');
  const bytes = keyType === 'aes' ? integer(input, 'KeyLengthBytes', 16, 32) : integer(input, 'KeyLengthBytes', 1, 800);
  if (keyType === 'aes' && bytes !== 16 && bytes !== 24 && bytes !== 32) throw bad('An AES key has 16, 24 or 32 bytes.');
  roomFor(c, 1);
  const attributes = newKeyAttributes('secret-key', keyType, text(input, 'Label', 127), parseAssignments(list(input, 'Attributes')), { 'key-length-bytes': bytes });
  const k = await generateSymmetric(ctx.hsm, c, { owner: user.username, keyType, bytes, attributes, shareWith: shareesOf(c, input, user.username), now: ctx.now() });
  return { apply: adding(user.username, [k]), answer: { Key: keyShape(k, liveHsmIds(c), true) } };
});

export const generateKeyPair = keyOperation('GenerateKeyPair', CU, async (input, ctx, c, user) => {
  const keyType = input.KeyType;
  if (keyType !== 'rsa' && keyType !== 'ec') throw bad('KeyType must be rsa or ec.');
  roomFor(c, 2);
  let spec: { kind: 'rsa'; bits: number; publicExponent: number } | { kind: 'ec'; curve: EcCurveName };
  let size: Record<string, string | number>;
  if (keyType === 'rsa') {
    const bits = integer(input, 'ModulusSizeBits', 2048, 4096);
    if (bits % 8 !== 0) throw bad('ModulusSizeBits is a multiple of 8 from 2048 to 4096.');
    const publicExponent = integer(input, 'PublicExponent', 65537, 0x7fffffff, 65537);
    if (publicExponent % 2 === 0) throw bad('PublicExponent is odd, at least 65537.');
    spec = { kind: 'rsa', bits, publicExponent };
    size = { 'modulus-size-bits': bits, 'public-exponent': `0x${publicExponent.toString(16).padStart(6, '0')}` };
  } else {
    const curve = input.Curve;
    if (typeof curve !== 'string' || !(EC_CURVES as readonly string[]).includes(curve)) throw bad(`Curve must be one of ${EC_CURVES.join(', ')} (SoftHSM's).`);
    spec = { kind: 'ec', curve: curve as EcCurveName };
    size = { curve };
  }
  const publicAttributes = newKeyAttributes('public-key', keyType, text(input, 'PublicLabel', 127), parseAssignments(list(input, 'PublicAttributes')), size);
  const privateAttributes = newKeyAttributes('private-key', keyType, text(input, 'PrivateLabel', 127), parseAssignments(list(input, 'PrivateAttributes')), size);
  const [pub, priv] = await generatePair(ctx.hsm, c, {
    owner: user.username, spec, publicAttributes, privateAttributes, shareWith: shareesOf(c, input, user.username), now: ctx.now(),
  });
  return { apply: adding(user.username, [pub, priv]), answer: { PublicKey: shape(c, pub), PrivateKey: shape(c, priv) } };
});

export const listKeys = keyOperation('ListKeys', CU, async (input, _ctx, c, user) => {
  const filter = parseFilter(list(input, 'Filter'));
  const verbose = input.Verbose === true;
  const max = integer(input, 'MaxItems', 1, 10_000, 10_000);
  const found = keysOf(c).filter((k) => visibleTo(k, user.username) && matches(k, filter));
  return { answer: { Keys: found.slice(0, max).map((k) => shape(c, k, verbose)), TotalKeyCount: found.length } };
});

export const deleteKey = keyOperation('DeleteKey', CU, async (input, ctx, c, user) => {
  const k = oneKey(c, input, user);
  needOwner(k, user, 'delete');
  if (k.attributes.destroyable === false) throw bad(`The key ${k.keyReference} is not destroyable.`);
  await destroyKey(ctx.hsm, c, k);
  const forget = changing(k.keyReference, () => undefined);
  return {
    apply: (fresh) => {
      const after = forget(fresh);
      return { ...after, deletedKeys: [...(after.deletedKeys ?? []), k.keyReference].slice(-MAX_DELETED_KEYS) };
    },
    answer: { KeyReference: k.keyReference },
  };
});

export const setKeyAttribute = keyOperation('SetKeyAttribute', ['crypto-user', 'admin'], async (input, ctx, c, user) => {
  const k = oneKey(c, input, user);
  const admin = user.role === 'admin';
  if (!admin) needOwner(k, user, 'change');
  const name = text(input, 'Name', 64);
  const attributes = changedAttributes(k, name, text(input, 'Value', 256), admin);
  const changed: HsmKeyRecord = { ...k, attributes };
  if (onToken(name)) await replaceCopies(ctx.hsm, c, changed);
  return { apply: changing(k.keyReference, (now) => ({ ...now, attributes: changedAttributes(now, name, String(input.Value), admin) })), answer: { Key: shape(c, changed) } };
});

function shareInput(c: ClusterRecord, input: Input, user: HsmUserRecord, what: 'share' | 'unshare'): { k: HsmKeyRecord; sharee: string } {
  const k = oneKey(c, input, user);
  needOwner(k, user, what);
  if (k.class === 'public-key') throw bad('A public key is seen by every crypto user: it is not shared.');
  const sharee = text(input, 'Username', 31);
  if (input.Role !== undefined && input.Role !== 'crypto-user') throw bad('Keys are shared with crypto users only (Role crypto-user).');
  crypto(c, sharee);
  if (sharee === k.owner) throw bad('A key cannot be shared with its owner.');
  return { k, sharee };
}

export const shareHsmKey = keyOperation('ShareKey', CU, async (input, ctx, c, user) => {
  const { k, sharee } = shareInput(c, input, user, 'share');
  if (k.sharedUsers.includes(sharee)) throw bad(`The key ${k.keyReference} is shared with ${sharee} already.`);
  await shareKey(ctx.hsm, c, k, sharee);
  return {
    apply: changing(k.keyReference, (now) => ({ ...now, sharedUsers: [...now.sharedUsers.filter((u) => u !== sharee), sharee] })),
    answer: { KeyReference: k.keyReference },
  };
});

export const unshareHsmKey = keyOperation('UnshareKey', CU, async (input, ctx, c, user) => {
  const { k, sharee } = shareInput(c, input, user, 'unshare');
  if (!k.sharedUsers.includes(sharee)) throw bad(`The key ${k.keyReference} is not shared with ${sharee}.`);
  await unshareKey(ctx.hsm, c, k, sharee);
  return { apply: changing(k.keyReference, (now) => ({ ...now, sharedUsers: now.sharedUsers.filter((u) => u !== sharee) })), answer: { KeyReference: k.keyReference } };
});

/** The data limit of Sign and Verify (data goes in the request, base64). */
const MAX_DATA_BYTES = 65_536;

function mechanismOf(input: Input, k: HsmKeyRecord): SignMechanism {
  const scheme = input.Mechanism;
  if (scheme !== 'rsa-pkcs' && scheme !== 'ecdsa') throw bad('Mechanism must be rsa-pkcs or ecdsa (rsa-pkcs-pss, ed25519 and ml-dsa are not offered by SoftHSM through Coffer).');
  const hash = input.HashFunction;
  if (hash !== 'sha256' && hash !== 'sha384' && hash !== 'sha512') throw bad('HashFunction must be sha256, sha384 or sha512.');
  if ((scheme === 'ecdsa') !== (k.keyType === 'ec')) throw bad(`The mechanism ${scheme} does not fit the ${k.keyType} key ${k.keyReference}.`);
  return { scheme, hash };
}

export const signHsm = keyOperation('Sign', CU, async (input, ctx, c, user) => {
  const k = oneKey(c, input, user);
  if (k.class !== 'private-key' || !usableBy(k, user.username)) throw bad(`The key ${k.keyReference} is not a private key of yours or shared with you.`);
  if (k.attributes.sign !== true) throw bad(`The key ${k.keyReference} has sign=false.`);
  const mechanism = mechanismOf(input, k);
  const data = base64(input, 'Data', MAX_DATA_BYTES);
  const signature = await signWith(ctx.hsm, c, user.username, k, mechanism, data);
  return { answer: { KeyReference: k.keyReference, Signature: signature.toString('base64') } };
});

export const verifyHsm = keyOperation('Verify', CU, async (input, _ctx, c, user) => {
  const k = oneKey(c, input, user);
  if (k.class !== 'public-key' || k.publicKey === undefined) throw bad(`The key ${k.keyReference} is not a public key.`);
  if (k.attributes.verify !== true) throw bad(`The key ${k.keyReference} has verify=false.`);
  const mechanism = mechanismOf(input, k);
  if (!verifyWith(k, mechanism, base64(input, 'Data', MAX_DATA_BYTES), base64(input, 'Signature', 1024))) throw bad('The signature does not verify.');
  return { answer: { KeyReference: k.keyReference } };
});

const WRAP_MECHANISMS = ['aes-no-pad', 'rsa-oaep'] as const;
const CLOUDHSM_WRAP_MECHANISMS = ['aes-gcm', 'aes-pkcs5-pad', 'aes-zero-pad', 'cloudhsm-aes-gcm', 'rsa-aes', 'rsa-pkcs'];

function wrapMechanismOf(input: Input): WrapMechanism {
  const m = input.Mechanism;
  if (typeof m === 'string' && CLOUDHSM_WRAP_MECHANISMS.includes(m)) {
    throw bad(`The mechanism ${m} is not offered: SoftHSM, Coffer's HSM, wraps through Coffer with ${WRAP_MECHANISMS.join(' and ')} only.`);
  }
  if (m !== 'aes-no-pad' && m !== 'rsa-oaep') throw bad(`Mechanism must be ${WRAP_MECHANISMS.join(' or ')}.`);
  if (m === 'rsa-oaep' && ((input.HashFunction ?? 'sha1') !== 'sha1' || (input.Mgf ?? 'mgf1-sha1') !== 'mgf1-sha1')) {
    throw bad('rsa-oaep is offered with --hash-function sha1 and --mgf mgf1-sha1 only (SoftHSM 2.6 has no other).');
  }
  return m;
}

/** One key that `Filter`-like member `name` matches among those `user` sees. */
const oneKeyBy = (c: ClusterRecord, input: Input, name: string, user: HsmUserRecord): HsmKeyRecord => oneKey(c, { Filter: input[name] }, user);

export const wrapHsmKey = keyOperation('WrapKey', CU, async (input, ctx, c, user) => {
  const mechanism = wrapMechanismOf(input);
  const payload = oneKeyBy(c, input, 'PayloadFilter', user);
  needOwner(payload, user, 'wrap');
  if (payload.class !== 'secret-key') throw bad(`Only secret keys are wrapped through Coffer (the key ${payload.keyReference} is a ${payload.class}).`);
  if (payload.attributes.extractable !== true) throw bad(`The key ${payload.keyReference} is not extractable.`);
  // (a key unwrapped under RSA-OAEP has no recorded length: the token decides)
  const bytes = Number(payload.attributes['key-length-bytes'] ?? 16);
  if (mechanism === 'aes-no-pad' && (bytes % 8 !== 0 || bytes < 16)) throw bad('aes-no-pad (RFC 3394) wraps keys of a multiple of 8 bytes, at least 16.');
  const wrapping = oneKeyBy(c, input, 'WrappingFilter', user);
  const wanted = mechanism === 'aes-no-pad' ? { cls: 'secret-key', type: 'aes' } : { cls: 'public-key', type: 'rsa' };
  if (wrapping.class !== wanted.cls || wrapping.keyType !== wanted.type) throw bad(`${mechanism} wraps under an ${wanted.type} ${wanted.cls}; the key ${wrapping.keyReference} is not one.`);
  if (wrapping.attributes.wrap !== true) throw bad(`The key ${wrapping.keyReference} has wrap=false.`);
  if (wrapping.class === 'public-key' ? wrapping.owner !== user.username : !usableBy(wrapping, user.username)) {
    throw bad(`The wrapping key ${wrapping.keyReference} is not in your partition (a public key of another user, or a key not shared with you).`);
  }
  if (payload.attributes['wrap-with-trusted'] === true && wrapping.attributes.trusted !== true) {
    throw bad(`The key ${payload.keyReference} has wrap-with-trusted=true: it is wrapped only under a key an admin set trusted.`);
  }
  const data = await wrapKey(ctx.hsm, c, user.username, payload, wrapping, mechanism);
  return { answer: { PayloadKeyReference: payload.keyReference, WrappingKeyReference: wrapping.keyReference, WrappedKeyData: data.toString('base64') } };
});

export const unwrapHsmKey = keyOperation('UnwrapKey', CU, async (input, ctx, c, user) => {
  const mechanism = wrapMechanismOf(input);
  const unwrapping = oneKey(c, input, user);
  const wanted = mechanism === 'aes-no-pad' ? { cls: 'secret-key', type: 'aes' } : { cls: 'private-key', type: 'rsa' };
  if (unwrapping.class !== wanted.cls || unwrapping.keyType !== wanted.type || !usableBy(unwrapping, user.username)) {
    throw bad(`${mechanism} unwraps with an ${wanted.type} ${wanted.cls} of yours or shared with you; the key ${unwrapping.keyReference} is not one.`);
  }
  if (unwrapping.attributes.unwrap !== true) throw bad(`The key ${unwrapping.keyReference} has unwrap=false.`);
  const keyType = input.KeyTypeClass;
  if (keyType !== 'aes' && keyType !== 'generic-secret') throw bad('KeyTypeClass must be aes or generic-secret (Coffer unwraps secret keys only).');
  const wrapped = base64(input, 'Data', 8192);
  roomFor(c, 1);
  const size = mechanism === 'aes-no-pad' && wrapped.length >= 24 ? { 'key-length-bytes': wrapped.length - 8 } : {};
  const attributes = { ...newKeyAttributes('secret-key', keyType, text(input, 'Label', 127), parseAssignments(list(input, 'Attributes')), size), local: false };
  const k = await unwrapKey(ctx.hsm, c, { owner: user.username, unwrapping, mechanism, wrapped, keyType, attributes, now: ctx.now() });
  return { apply: adding(user.username, [k]), answer: { Key: shape(c, k) } };
});

/**
 * Login {ClusterId, Auth}: checks HSM credentials (a failure counts toward the lockout) and answers
 * who logged in; `coffer hsm interactive`'s login. No session is made: every later call carries
 * the credentials again (design §3.1's session token is not built yet).
 */
export const loginHsm = keyOperation('Login', ['crypto-user', 'admin'], async (_input, _ctx, _c, user) => ({
  answer: { Username: user.username, Role: user.role },
}));

/**
 * The crypto user's own partitions as PKCS#11 URIs, one per ACTIVE HSM (design §3.3 option B,
 * `cluster pkcs11-uris`, a Coffer addition): for stock PKCS#11 clients (pkcs11-tool, OpenSSL, Java)
 * that log in with the user's password as PIN.
 */
export const pkcs11Uris = keyOperation('Pkcs11Uris', CU, async (_input, _ctx, c, user) => ({
  answer: {
    Uris: c.hsms.filter((h) => h.state === 'ACTIVE' && user.partitions[h.hsmId] !== undefined).map((h) => ({
      HsmId: h.hsmId, AvailabilityZone: h.availabilityZone,
      Uri: `pkcs11:token=${encodeURIComponent(user.username)};serial=${user.partitions[h.hsmId] as string}`,
    })),
  },
}));

export const HSM_KEY_OPERATIONS: readonly CloudHsmOperation[] = [
  loginHsm, pkcs11Uris, wrapHsmKey, unwrapHsmKey, generateSymmetricKey, generateKeyPair, listKeys, deleteKey, setKeyAttribute, shareHsmKey, unshareHsmKey, signHsm, verifyHsm,
];
