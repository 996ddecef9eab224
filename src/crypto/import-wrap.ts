/**
 * How key material travels into a KMS key (AWS "Importing key material", step 3), both ways:
 * the RSAES_OAEP_SHA_* algorithms encrypt the material itself with RSAES-OAEP (MGF1 over the same
 * hash) under the wrapping public key; the RSA_AES_KEY_WRAP_SHA_* algorithms encrypt a fresh
 * AES-256 key with RSAES-OAEP and the material with AES Key Wrap with Padding (RFC 5649) under it:
 *
 *   EncryptedKeyMaterial = RSAES-OAEP(wrapping key, aesKey) || AES-KWP(aesKey, material)
 *
 * (the first part is exactly as long as the RSA modulus). `wrapKeyMaterial` is what a client
 * does; `unwrapKeyMaterial` is Coffer's side, where every failure is one AuthenticationError.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomBytes, zero } from './bytes.ts';
import { AuthenticationError, CryptoError } from './errors.ts';
import { rsaOaepDecrypt, rsaOaepEncrypt, rsaPrivateKey } from './rsa.ts';

export type ImportWrappingAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';

export const IMPORT_WRAPPING: Readonly<Record<ImportWrappingAlgorithm, { readonly hash: 'sha1' | 'sha256'; readonly aesKeyWrap: boolean }>> = {
  RSAES_OAEP_SHA_1: { hash: 'sha1', aesKeyWrap: false },
  RSAES_OAEP_SHA_256: { hash: 'sha256', aesKeyWrap: false },
  RSA_AES_KEY_WRAP_SHA_1: { hash: 'sha1', aesKeyWrap: true },
  RSA_AES_KEY_WRAP_SHA_256: { hash: 'sha256', aesKeyWrap: true },
};

export const isImportWrappingAlgorithm = (s: string): s is ImportWrappingAlgorithm => Object.hasOwn(IMPORT_WRAPPING, s);

/** RFC 5649's alternative initial value, the IV OpenSSL's *-wrap-pad ciphers take. */
const KWP_IV = Buffer.from('a65959a6', 'hex');
const KWP_CIPHER: Readonly<Record<number, string>> = { 16: 'id-aes128-wrap-pad', 24: 'id-aes192-wrap-pad', 32: 'id-aes256-wrap-pad' };
const EPHEMERAL_AES_BYTES = 32;
const HASH_BYTES = { sha1: 20, sha256: 32 } as const;

function kwpCipher(kek: Buffer): string {
  const name = KWP_CIPHER[kek.length];
  if (name === undefined) throw new CryptoError('an AES key wrapping key is 16, 24 or 32 bytes');
  return name;
}

/** AES Key Wrap with Padding (RFC 5649). */
export function kwpWrap(kek: Buffer, data: Buffer): Buffer {
  if (data.length < 1) throw new CryptoError('nothing to wrap');
  const c = createCipheriv(kwpCipher(kek), kek, KWP_IV);
  return Buffer.concat([c.update(data), c.final()]);
}

/** AES Key Unwrap with Padding (RFC 5649); AuthenticationError when the integrity check fails. */
export function kwpUnwrap(kek: Buffer, wrapped: Buffer): Buffer {
  const d = createDecipheriv(kwpCipher(kek), kek, KWP_IV);
  try {
    return Buffer.concat([d.update(wrapped), d.final()]);
  } catch (e) {
    throw new AuthenticationError('key unwrap failed', { cause: e });
  }
}

/** The modulus length in bytes of an RSA key, public (SPKI) or private (PKCS#8). */
const modulusBytes = (bits: number | undefined): number => Math.ceil((bits ?? 0) / 8);

/** The largest material RSAES-OAEP can carry directly under a `modulusBits` key (RFC 8017 §7.1.1). */
export function maxDirectMaterial(modulusBits: number, algorithm: ImportWrappingAlgorithm): number {
  return modulusBits / 8 - 2 * HASH_BYTES[IMPORT_WRAPPING[algorithm].hash] - 2;
}

/** Wraps `material` for import under the wrapping public key (SPKI DER), as a client does. */
export function wrapKeyMaterial(spki: Buffer, algorithm: ImportWrappingAlgorithm, material: Buffer): Buffer {
  const { hash, aesKeyWrap } = IMPORT_WRAPPING[algorithm];
  if (!aesKeyWrap) return rsaOaepEncrypt(spki, hash, material);
  const aesKey = randomBytes(EPHEMERAL_AES_BYTES);
  try {
    return Buffer.concat([rsaOaepEncrypt(spki, hash, aesKey), kwpWrap(aesKey, material)]);
  } finally {
    zero(aesKey);
  }
}

/** Opens `encrypted` with the wrapping private key (PKCS#8 DER); the caller zeroes the result. */
export function unwrapKeyMaterial(pkcs8: Buffer, algorithm: ImportWrappingAlgorithm, encrypted: Buffer): Buffer {
  const { hash, aesKeyWrap } = IMPORT_WRAPPING[algorithm];
  if (!aesKeyWrap) return rsaOaepDecrypt(pkcs8, hash, encrypted);
  const k = modulusBytes(rsaPrivateKey(pkcs8).asymmetricKeyDetails?.modulusLength);
  if (encrypted.length <= k) throw new AuthenticationError('decryption failed');
  const aesKey = rsaOaepDecrypt(pkcs8, hash, encrypted.subarray(0, k));
  try {
    if (aesKey.length !== EPHEMERAL_AES_BYTES) throw new AuthenticationError('decryption failed');
    return kwpUnwrap(aesKey, encrypted.subarray(k));
  } finally {
    zero(aesKey);
  }
}
