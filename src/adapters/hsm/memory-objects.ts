/**
 * The objects of an in-memory token and what the token does with them, on node:crypto, with the
 * refusals a PKCS#11 token makes (the CKR_* codes SoftHSM 2.6.1 gives, checked in the same order).
 * One difference: a GCM tag or a blob that does not verify is CKR_ENCRYPTED_DATA_INVALID /
 * CKR_WRAPPED_KEY_INVALID here, where SoftHSM says CKR_GENERAL_ERROR; the kind is 'authentication' in both.
 */
import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { HsmError, type SecretKeyTemplate, type WrapMechanism } from '../../ports/hsm.ts';
import { hsmError } from '../pkcs11/errors.ts';

export type Usage = SecretKeyTemplate['usage'][number];

export interface MemoryObject {
  readonly kind: 'secret' | 'private' | 'public';
  /** A generic secret (any length), not an AES key. */
  readonly generic?: boolean;
  readonly id: Buffer;
  readonly label: string;
  readonly usage: ReadonlySet<Usage>;
  readonly extractable: boolean;
  readonly wrapWithTrusted: boolean;
  readonly trusted: boolean;
  /** An AES key's value (zeroed when the object goes). */
  readonly secret?: Buffer;
  readonly privateKey?: KeyObject;
  readonly publicKey?: KeyObject;
}

const AES_BITS: Readonly<Record<number, string>> = { 16: '128', 24: '192', 32: '256' };
/** RFC 5649's alternative IV, which node's id-aes*-wrap-pad ciphers take as their 4-byte IV. */
const KWP_IV = Buffer.from('a65959a6', 'hex');

export function secretObject(t: SecretKeyTemplate, value: Buffer): MemoryObject {
  return { kind: 'secret', generic: t.keyType === 'generic-secret', id: Buffer.from(t.id), label: t.label, usage: new Set(t.usage), extractable: t.extractable, wrapWithTrusted: t.wrapWithTrusted, trusted: false, secret: value };
}

export function permit(o: MemoryObject, usage: Usage, action: string): void {
  if (!o.usage.has(usage)) throw hsmError('CKR_KEY_FUNCTION_NOT_PERMITTED', action);
}

function aesName(key: Buffer, mode: string): string {
  const bits = AES_BITS[key.length];
  if (bits === undefined) throw hsmError('CKR_KEY_SIZE_RANGE', `AES key of ${key.length} bytes`);
  return mode === 'wrap-pad' ? `id-aes${bits}-wrap-pad` : mode === 'wrap' ? `id-aes${bits}-wrap` : `aes-${bits}-${mode}`;
}

function secretOf(o: MemoryObject, action: string): Buffer {
  if (o.secret === undefined) throw hsmError('CKR_KEY_TYPE_INCONSISTENT', action);
  return o.secret;
}

export function gcmEncrypt(o: MemoryObject, iv: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const action = 'C_Encrypt (AES-GCM)';
  permit(o, 'encrypt', action);
  checkIv(iv);
  const key = secretOf(o, action);
  const c = createCipheriv(aesName(key, 'gcm') as 'aes-256-gcm', key, iv, { authTagLength: 16 });
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

export function gcmDecrypt(o: MemoryObject, iv: Buffer, aad: Buffer, data: Buffer): Buffer {
  const action = 'C_Decrypt (AES-GCM)';
  permit(o, 'decrypt', action);
  checkIv(iv);
  if (data.length < 16) throw hsmError('CKR_ENCRYPTED_DATA_LEN_RANGE', `${action}: shorter than its tag`);
  const key = secretOf(o, action);
  const d = createDecipheriv(aesName(key, 'gcm') as 'aes-256-gcm', key, iv, { authTagLength: 16 });
  d.setAAD(aad);
  d.setAuthTag(data.subarray(data.length - 16));
  const head = d.update(data.subarray(0, data.length - 16));
  try {
    return Buffer.concat([head, d.final()]);
  } catch {
    throw hsmError('CKR_ENCRYPTED_DATA_INVALID', `${action}: the data does not authenticate`);
  } finally {
    head.fill(0);
  }
}

function checkIv(iv: Buffer): void {
  if (iv.length !== 12) throw hsmError('CKR_MECHANISM_PARAM_INVALID', 'AES-GCM needs a 12-byte IV');
}

/** CKM_AES_KEY_WRAP_PAD of `target` under `wrapping`, refused as SoftHSM refuses it. */
export function kwpWrap(wrapping: MemoryObject, target: MemoryObject): Buffer {
  const action = 'C_WrapKey (AES_KEY_WRAP_PAD)';
  permit(wrapping, 'wrap', action);
  if (!target.extractable) throw hsmError('CKR_KEY_UNEXTRACTABLE', action);
  if (target.wrapWithTrusted && !wrapping.trusted) throw hsmError('CKR_KEY_NOT_WRAPPABLE', action);
  const key = secretOf(wrapping, action);
  const c = createCipheriv(aesName(key, 'wrap-pad'), key, KWP_IV);
  const value = target.privateKey?.export({ type: 'pkcs8', format: 'der' }) ?? secretOf(target, action);
  return Buffer.concat([c.update(value), c.final()]);
}

/** RFC 3394's default IV, which node's id-aes*-wrap ciphers take as their 8-byte IV. */
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/** `value` wrapped with `mechanism` under `wrapping` (aes-no-pad: a secret key; rsa-oaep: a public key, SHA-1). */
export function wrapValue(wrapping: MemoryObject, mechanism: WrapMechanism, value: Buffer): Buffer {
  const action = `C_WrapKey (${mechanism})`;
  permit(wrapping, 'wrap', action);
  if (mechanism === 'rsa-oaep') {
    if (wrapping.publicKey === undefined || wrapping.kind !== 'public') throw hsmError('CKR_KEY_TYPE_INCONSISTENT', action);
    return publicEncrypt({ key: wrapping.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, value);
  }
  const key = secretOf(wrapping, action);
  if (value.length % 8 !== 0 || value.length < 16) throw hsmError('CKR_KEY_SIZE_RANGE', `${action}: RFC 3394 wraps multiples of 8 bytes`);
  const c = createCipheriv(aesName(key, 'wrap'), key, KW_IV);
  return Buffer.concat([c.update(value), c.final()]);
}

/** The key value `wrapped` holds (the caller zeroes it). */
export function unwrapValue(unwrapping: MemoryObject, mechanism: WrapMechanism, wrapped: Buffer): Buffer {
  const action = `C_UnwrapKey (${mechanism})`;
  permit(unwrapping, 'unwrap', action);
  try {
    if (mechanism === 'rsa-oaep') {
      if (unwrapping.privateKey === undefined) throw hsmError('CKR_KEY_TYPE_INCONSISTENT', action);
      return privateDecrypt({ key: unwrapping.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrapped);
    }
    const key = secretOf(unwrapping, action);
    const d = createDecipheriv(aesName(key, 'wrap'), key, KW_IV);
    return Buffer.concat([d.update(wrapped), d.final()]);
  } catch (e) {
    if (e instanceof HsmError) throw e;
    throw hsmError('CKR_WRAPPED_KEY_INVALID', `${action}: the data does not unwrap`);
  }
}

/** The key value inside a CKM_AES_KEY_WRAP_PAD blob (the caller owns it and zeroes it). */
export function kwpUnwrap(wrapping: MemoryObject, wrapped: Buffer, what: 'aes' | 'any' = 'aes'): Buffer {
  const action = 'C_UnwrapKey (AES_KEY_WRAP_PAD)';
  permit(wrapping, 'unwrap', action);
  const key = secretOf(wrapping, action);
  let value: Buffer;
  try {
    const d = createDecipheriv(aesName(key, 'wrap-pad'), key, KWP_IV);
    value = Buffer.concat([d.update(wrapped), d.final()]);
  } catch {
    throw hsmError('CKR_WRAPPED_KEY_INVALID', `${action}: the blob does not authenticate`);
  }
  if (what === 'aes' && AES_BITS[value.length] === undefined) {
    value.fill(0);
    throw hsmError('CKR_WRAPPED_KEY_INVALID', `${action}: not an AES key`);
  }
  return value;
}
