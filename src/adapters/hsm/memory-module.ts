/**
 * An in-memory HsmModule on node:crypto, for fast tests of what sits above the HSM port. It
 * behaves as the PKCS#11 adapter on SoftHSM2 does, and passes the same conformance suite: a free
 * slot after the initialised tokens (unless `slots` caps them), 16-hex-digit serials, SO and user
 * PINs with SoftHSM's length rule, one login per token shared by its sessions, CKR_* refusals for
 * sensitive, unextractable and not-wrappable keys, CKM_AES_KEY_WRAP_PAD (node's
 * id-aes*-wrap-pad) and AES-GCM. `loseToken` stands for a token whose files are gone.
 */
import { createHmac, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { HsmModule, PrivateKeyTemplate, SecretKeyTemplate, TokenAdmin, TokenInfo, TokenSession } from '../../ports/hsm.ts';
import { checkPinLength, checkTokenLabel, hsmError } from '../pkcs11/errors.ts';
import { gcmDecrypt, gcmEncrypt, kwpUnwrap, kwpWrap, permit, secretObject, unwrapValue, wrapValue, type MemoryObject } from './memory-objects.ts';

export interface MemoryHsmModule extends HsmModule {
  /** Makes the token with this serial unreadable, as when its files are removed: every later call on it fails. */
  loseToken(serial: string): void;
}

interface Token {
  readonly serial: string;
  label: string;
  soPin: Buffer;
  userPin: Buffer | undefined;
  objects: MemoryObject[];
  /** TokenSessions open on it (one shared login), and whether its SO is logged in. */
  users: number;
  admin: boolean;
  lost: boolean;
}

const generatePair = promisify(generateKeyPair);
const signAsync = promisify(sign);
const MAC_KEY = randomBytes(32);
const mac = (pin: string): Buffer => createHmac('sha256', MAC_KEY).update(pin, 'utf8').digest();

/** A new, empty module; `slots` caps how many tokens it can hold (default: always one free slot more). */
export function openMemoryHsmModule(options: { readonly slots?: number } = {}): MemoryHsmModule {
  const tokens: Token[] = [];
  const closers = new Set<() => Promise<void>>();

  const token = (serial: string, action: string): Token => {
    const t = tokens.find((x) => x.serial === serial);
    if (t === undefined) throw hsmError('COFFER_TOKEN_NOT_FOUND', `${action}: no token with serial ${serial} in memory`);
    return live(t, action);
  };
  const live = (t: Token, action: string): Token => {
    if (t.lost) throw hsmError('CKR_TOKEN_NOT_PRESENT', `${action}: token ${t.serial} is gone`);
    return t;
  };
  const infoOf = (t: Token): TokenInfo => ({ serial: t.serial, label: t.label, initialized: true, userPinInitialized: t.userPin !== undefined });
  const checkPin = (pin: string, expected: Buffer | undefined, action: string): void => {
    if (expected === undefined) throw hsmError('CKR_USER_PIN_NOT_INITIALIZED', action);
    if (!timingSafeEqual(mac(pin), expected)) throw hsmError('CKR_PIN_INCORRECT', action);
  };
  const wipe = (t: Token): void => {
    for (const o of t.objects) o.secret?.fill(0);
    t.objects = [];
  };

  return {
    description: 'memory',

    async tokens() {
      const present = tokens.filter((t) => !t.lost).map(infoOf);
      const free = options.slots === undefined || tokens.length < options.slots;
      return free ? [...present, { serial: '', label: '', initialized: false, userPinInitialized: false }] : present;
    },

    async initToken(label, soPin) {
      checkTokenLabel(label);
      checkPinLength(soPin, 'C_InitToken');
      if (options.slots !== undefined && tokens.length >= options.slots) throw hsmError('COFFER_NO_FREE_SLOT', 'no uninitialised slot in memory');
      const t: Token = { serial: randomBytes(8).toString('hex'), label, soPin: mac(soPin), userPin: undefined, objects: [], users: 0, admin: false, lost: false };
      tokens.push(t);
      return infoOf(t);
    },

    async wipeToken(serial, soPin) {
      const t = token(serial, 'C_InitToken (wipe)');
      checkPin(soPin, t.soPin, 'C_InitToken (wipe)');
      if (t.users > 0 || t.admin) throw hsmError('CKR_SESSION_EXISTS', 'C_InitToken (wipe)');
      wipe(t);
      t.label = '';
      t.userPin = undefined;
    },

    async openAdmin(serial, soPin) {
      const action = 'C_Login (SO)';
      const t = token(serial, action);
      if (t.users > 0) throw hsmError('CKR_USER_ANOTHER_ALREADY_LOGGED_IN', action);
      if (t.admin) throw hsmError('CKR_USER_ALREADY_LOGGED_IN', action);
      checkPin(soPin, t.soPin, action);
      t.admin = true;
      const admin = adminOf(t, () => {
        t.admin = false;
        closers.delete(close);
      });
      const close = () => admin.close();
      closers.add(close);
      return admin;
    },

    async openSession(serial, userPin) {
      const action = 'C_Login (user)';
      checkPinLength(userPin, action);
      const t = token(serial, action);
      if (t.admin) throw hsmError('CKR_USER_ANOTHER_ALREADY_LOGGED_IN', action);
      checkPin(userPin, t.userPin, action);
      t.users++;
      const session = sessionOf(t, live, () => {
        t.users--;
        closers.delete(close);
      });
      const close = () => session.close();
      closers.add(close);
      return session;
    },

    async setUserPin(serial, oldPin, newPin) {
      checkPinLength(newPin, 'C_SetPIN');
      const t = token(serial, 'C_SetPIN');
      checkPin(oldPin, t.userPin, 'C_SetPIN');
      t.userPin = mac(newPin);
    },

    async close() {
      await Promise.allSettled([...closers].map((c) => c()));
    },

    loseToken(serial) {
      const t = tokens.find((x) => x.serial === serial);
      if (t === undefined) throw new Error(`no token with serial ${serial}`);
      wipe(t);
      t.lost = true;
    },
  };
}

function adminOf(t: Token, onClose: () => void): TokenAdmin {
  let closed = false;
  const check = (action: string): void => {
    if (closed) throw hsmError('COFFER_SESSION_CLOSED', `${action}: the SO session is closed`);
    if (t.lost) throw hsmError('CKR_TOKEN_NOT_PRESENT', `${action}: token ${t.serial} is gone`);
  };
  return {
    async initUserPin(pin) {
      check('C_InitPIN');
      checkPinLength(pin, 'C_InitPIN');
      t.userPin = mac(pin);
    },
    async createTrustedKey(id, label, value) {
      check('C_CreateObject (trusted key)');
      if (value.length !== 32) throw hsmError('CKR_ATTRIBUTE_VALUE_INVALID', 'the cluster key is 32 bytes (AES-256)');
      t.objects.push({ kind: 'secret', id: Buffer.from(id), label, usage: new Set(['wrap', 'unwrap']), extractable: false, wrapWithTrusted: false, trusted: true, secret: Buffer.from(value) });
    },
    async close() {
      if (closed) return;
      closed = true;
      onClose();
    },
  };
}

function sessionOf(t: Token, live: (t: Token, action: string) => Token, onClose: () => void): TokenSession {
  let closed = false;
  const tok = (action: string): Token => {
    if (closed) throw hsmError('COFFER_SESSION_CLOSED', `${action}: this TokenSession is closed`);
    return live(t, action);
  };
  const find = (action: string, kind: MemoryObject['kind'], id: Buffer): MemoryObject => {
    const o = tok(action).objects.find((x) => x.kind === kind && x.id.equals(id));
    if (o === undefined) throw hsmError('COFFER_OBJECT_NOT_FOUND', `${action}: no object with CKA_ID ${id.toString('hex')} on token ${t.serial}`);
    return o;
  };
  const add = (o: MemoryObject): void => {
    tok('C_CreateObject').objects.push(o);
  };

  return {
    async generateAes(template: SecretKeyTemplate, bytes: number) {
      tok('C_GenerateKey (AES)');
      if (bytes !== 16 && bytes !== 24 && bytes !== 32) throw hsmError('CKR_KEY_SIZE_RANGE', `AES keys are 16, 24 or 32 bytes, not ${bytes}`);
      add(secretObject(template, randomBytes(bytes)));
    },
    async generateSecret(template, bytes) {
      tok('C_GenerateKey');
      const generic = template.keyType === 'generic-secret';
      if (generic ? !Number.isInteger(bytes) || bytes < 1 || bytes > 800 : bytes !== 16 && bytes !== 24 && bytes !== 32) throw hsmError('CKR_KEY_SIZE_RANGE', `${bytes} bytes`);
      add(secretObject(template, randomBytes(bytes)));
    },
    async generateKeyPair(spec, priv, pub) {
      tok('C_GenerateKeyPair');
      const { privateKey, publicKey } = spec.kind === 'rsa'
        ? await generatePair('rsa', { modulusLength: spec.bits, publicExponent: spec.publicExponent })
        : await generatePair('ec', { namedCurve: spec.curve === 'secp256r1' ? 'prime256v1' : spec.curve });
      add({ kind: 'public', id: Buffer.from(pub.id), label: pub.label, usage: new Set(pub.usage), extractable: true, wrapWithTrusted: false, trusted: false, publicKey });
      add(privateObject(priv, privateKey));
      return spki(publicKey);
    },
    async publicKey(id) {
      const o = find('reading a public key', 'public', id);
      if (o.publicKey === undefined) throw hsmError('CKR_KEY_TYPE_INCONSISTENT', 'reading a public key');
      return spki(o.publicKey);
    },
    async sign(id, mechanism, data) {
      const action = `C_Sign (${mechanism.scheme}, ${mechanism.hash})`;
      const o = find(action, 'private', id);
      permit(o, 'sign', action);
      if (o.privateKey === undefined || (o.privateKey.asymmetricKeyType === 'ec') !== (mechanism.scheme === 'ecdsa')) throw hsmError('CKR_KEY_TYPE_INCONSISTENT', action);
      return signAsync(mechanism.hash, data, mechanism.scheme === 'ecdsa' ? { key: o.privateKey, dsaEncoding: 'ieee-p1363' } : o.privateKey);
    },
    async wrapPrivate(wrappingId, targetId) {
      const action = 'C_WrapKey (AES_KEY_WRAP_PAD, private key)';
      return kwpWrap(find(action, 'secret', wrappingId), find(action, 'private', targetId));
    },
    async unwrapPrivate(wrappingId, wrapped, template) {
      const der = kwpUnwrap(find('C_UnwrapKey (AES_KEY_WRAP_PAD, private key)', 'secret', wrappingId), wrapped, 'any');
      let key: KeyObject;
      try {
        key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      } catch {
        throw hsmError('CKR_WRAPPED_KEY_INVALID', 'C_UnwrapKey: not a PKCS#8 private key');
      } finally {
        der.fill(0);
      }
      add(privateObject(template, key));
    },
    async exportWrapped(trustedId, masked, _payload, wrappingId, mechanism) {
      const action = `C_WrapKey (${mechanism})`;
      const value = kwpUnwrap(find(action, 'secret', trustedId), masked, 'any');
      try {
        return wrapValue(find(action, mechanism === 'aes-no-pad' ? 'secret' : 'public', wrappingId), mechanism, value);
      } finally {
        value.fill(0);
      }
    },
    async importWrapped(unwrappingId, mechanism, wrapped, template) {
      const action = `C_UnwrapKey (${mechanism})`;
      add(secretObject(template, unwrapValue(find(action, mechanism === 'aes-no-pad' ? 'secret' : 'private', unwrappingId), mechanism, wrapped)));
    },
    async createPublicKey(template, der) {
      let key: KeyObject;
      try {
        key = createPublicKey({ key: der, format: 'der', type: 'spki' });
      } catch {
        throw hsmError('CKR_TEMPLATE_INCONSISTENT', 'C_CreateObject: not a public key');
      }
      add({ kind: 'public', id: Buffer.from(template.id), label: template.label, usage: new Set(template.usage), extractable: true, wrapWithTrusted: false, trusted: false, publicKey: key });
    },
    async generateRsaPair(id, label, bits) {
      tok('C_GenerateKeyPair (RSA)');
      const { privateKey, publicKey } = await generatePair('rsa', { modulusLength: bits, publicExponent: 0x10001 });
      const common = { id: Buffer.from(id), label, extractable: false, wrapWithTrusted: false, trusted: false };
      add({ ...common, kind: 'public', usage: new Set(['verify']), publicKey });
      add({ ...common, kind: 'private', usage: new Set(['sign']), privateKey, publicKey });
      return spki(publicKey);
    },
    async rsaPublicKey(id) {
      const o = find('reading an RSA public key', 'public', id);
      if (o.publicKey === undefined) throw hsmError('CKR_KEY_TYPE_INCONSISTENT', 'reading an RSA public key');
      return spki(o.publicKey);
    },
    async signRsaSha256(id, data) {
      const action = 'C_Sign (SHA256_RSA_PKCS)';
      const o = find(action, 'private', id);
      permit(o, 'sign', action);
      if (o.privateKey === undefined) throw hsmError('CKR_KEY_TYPE_INCONSISTENT', action);
      return signAsync('sha256', data, o.privateKey);
    },
    async encryptGcm(id, iv, aad, plaintext) {
      return gcmEncrypt(find('C_Encrypt (AES-GCM)', 'secret', id), iv, aad, plaintext);
    },
    async decryptGcm(id, iv, aad, data) {
      return gcmDecrypt(find('C_Decrypt (AES-GCM)', 'secret', id), iv, aad, data);
    },
    async wrap(wrappingId, targetId) {
      const action = 'C_WrapKey (AES_KEY_WRAP_PAD)';
      return kwpWrap(find(action, 'secret', wrappingId), find(action, 'secret', targetId));
    },
    async unwrap(wrappingId, wrapped, template) {
      add(secretObject(template, kwpUnwrap(find('C_UnwrapKey (AES_KEY_WRAP_PAD)', 'secret', wrappingId), wrapped, template.keyType === 'generic-secret' ? 'any' : 'aes')));
    },
    async has(id) {
      return tok('finding an object').objects.some((o) => o.id.equals(id));
    },
    async list() {
      const out = new Map<string, { id: Buffer; label: string; kind: MemoryObject['kind'] }>();
      for (const kind of ['secret', 'private', 'public'] as const) {
        for (const o of tok('listing objects').objects) {
          const hex = o.id.toString('hex');
          if (o.kind === kind && !out.has(hex)) out.set(hex, { id: Buffer.from(o.id), label: o.label, kind });
        }
      }
      return [...out.values()];
    },
    async destroy(id) {
      const token = tok('C_DestroyObject');
      const gone = token.objects.filter((o) => o.id.equals(id));
      for (const o of gone) o.secret?.fill(0);
      token.objects = token.objects.filter((o) => !o.id.equals(id));
      return gone.length;
    },
    async random(bytes) {
      tok('C_GenerateRandom');
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1_048_576) throw hsmError('CKR_ARGUMENTS_BAD', 'C_GenerateRandom: 1 to 1048576 bytes');
      return randomBytes(bytes);
    },
    async close() {
      if (closed) return;
      closed = true;
      onClose();
    },
  };
}

const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });

function privateObject(t: PrivateKeyTemplate, privateKey: KeyObject): MemoryObject {
  return {
    kind: 'private', id: Buffer.from(t.id), label: t.label, usage: new Set(t.usage), extractable: t.extractable, wrapWithTrusted: t.wrapWithTrusted, trusted: false,
    privateKey, publicKey: createPublicKey(privateKey),
  };
}
