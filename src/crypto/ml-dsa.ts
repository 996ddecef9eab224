/**
 * ML-DSA (FIPS 204) through @noble/post-quantum, with the key encodings of RFC 9881:
 * SubjectPublicKeyInfo { AlgorithmIdentifier { id-ml-dsa-NN } (no parameters), BIT STRING pk }
 * and the seed-only PKCS#8 form PrivateKeyInfo { 0, id-ml-dsa-NN, OCTET STRING { [0] seed(32) } }.
 * Only the 32-byte seed is kept; the expanded signing key is derived from it for each signature
 * and zeroed afterwards. RAW signs the message with pure ML-DSA and an empty context; EXTERNAL_MU
 * signs a caller-computed μ = SHAKE256(SHAKE256(pk, 64) || 0x00 || 0x00 || M, 64) (§6.2), which
 * gives the same signature as RAW for the same message.
 */
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { randomBytes, zero } from './bytes.ts';
import { tlv } from './der.ts';
import { CryptoError, InvalidKeyError } from './errors.ts';

export type MlDsaLevel = 44 | 65 | 87;

const ALGORITHMS = { 44: ml_dsa44, 65: ml_dsa65, 87: ml_dsa87 } as const;
/** DER of the OIDs 2.16.840.1.101.3.4.3.17 / .18 / .19 (id-ml-dsa-44 / 65 / 87). */
const OID: Readonly<Record<MlDsaLevel, Buffer>> = {
  44: Buffer.from('0609608648016503040311', 'hex'),
  65: Buffer.from('0609608648016503040312', 'hex'),
  87: Buffer.from('0609608648016503040313', 'hex'),
};
export const ML_DSA_SEED_BYTES = 32;
export const ML_DSA_MU_BYTES = 64;

const algorithmIdentifier = (level: MlDsaLevel): Buffer => tlv(0x30, OID[level]);

export function mlDsaSpki(level: MlDsaLevel, publicKey: Uint8Array): Buffer {
  return tlv(0x30, algorithmIdentifier(level), tlv(0x03, Buffer.of(0), Buffer.from(publicKey)));
}

export function mlDsaPkcs8(level: MlDsaLevel, seed: Buffer): Buffer {
  if (seed.length !== ML_DSA_SEED_BYTES) throw new CryptoError('ML-DSA seed must be 32 bytes');
  return tlv(0x30, Buffer.of(0x02, 0x01, 0x00), algorithmIdentifier(level), tlv(0x04, tlv(0x80, seed)));
}

/** The raw public key of an ML-DSA SPKI of `level`; InvalidKeyError for anything else. */
export function mlDsaPublicKey(level: MlDsaLevel, spki: Buffer): Uint8Array {
  const length = ALGORITHMS[level].lengths.publicKey ?? 0;
  const expected = mlDsaSpki(level, new Uint8Array(length));
  const head = expected.length - length;
  if (spki.length !== expected.length || !spki.subarray(0, head).equals(expected.subarray(0, head))) {
    throw new InvalidKeyError(`not an ML-DSA-${level} public key`);
  }
  return new Uint8Array(spki.subarray(head));
}

/** The seed of a seed-only ML-DSA PKCS#8 of `level` (a view into `pkcs8`). */
function seedOf(level: MlDsaLevel, pkcs8: Buffer): Buffer {
  const expected = mlDsaPkcs8(level, Buffer.alloc(ML_DSA_SEED_BYTES));
  const head = expected.length - ML_DSA_SEED_BYTES;
  if (pkcs8.length !== expected.length || !pkcs8.subarray(0, head).equals(expected.subarray(0, head))) {
    throw new InvalidKeyError(`not an ML-DSA-${level} private key`);
  }
  return pkcs8.subarray(head);
}

export function mlDsaKeyPair(level: MlDsaLevel): { privateKey: Buffer; publicKey: Buffer } {
  const seed = randomBytes(ML_DSA_SEED_BYTES);
  const { publicKey, secretKey } = ALGORITHMS[level].keygen(seed);
  zero(Buffer.from(secretKey.buffer, secretKey.byteOffset, secretKey.byteLength));
  try {
    return { privateKey: mlDsaPkcs8(level, seed), publicKey: mlDsaSpki(level, publicKey) };
  } finally {
    zero(seed);
  }
}

/** Signs `message` (RAW) or a 64-byte μ (EXTERNAL_MU) with a seed-only PKCS#8 key. */
export function mlDsaSign(level: MlDsaLevel, pkcs8: Buffer, message: Buffer, externalMu: boolean): Buffer {
  const alg = ALGORITHMS[level];
  if (externalMu && message.length !== ML_DSA_MU_BYTES) throw new CryptoError('μ must be 64 bytes');
  const { secretKey } = alg.keygen(seedOf(level, pkcs8));
  try {
    const sig = externalMu ? alg.internal.sign(message, secretKey, { externalMu: true }) : alg.sign(message, secretKey);
    return Buffer.from(sig);
  } finally {
    zero(Buffer.from(secretKey.buffer, secretKey.byteOffset, secretKey.byteLength));
  }
}

/** Whether `signature` is a valid ML-DSA signature of `message` (RAW) or μ (EXTERNAL_MU). */
export function mlDsaVerify(level: MlDsaLevel, spki: Buffer, message: Buffer, signature: Buffer, externalMu: boolean): boolean {
  const alg = ALGORITHMS[level];
  const publicKey = mlDsaPublicKey(level, spki);
  if (signature.length !== alg.lengths.signature) return false;
  try {
    return externalMu
      ? message.length === ML_DSA_MU_BYTES && alg.internal.verify(signature, message, publicKey, { externalMu: true })
      : alg.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** The SPKI of a seed-only ML-DSA PKCS#8 key of `level`; InvalidKeyError for anything else. */
export function mlDsaSpkiFromPkcs8(level: MlDsaLevel, pkcs8: Buffer): Buffer {
  const { publicKey, secretKey } = ALGORITHMS[level].keygen(seedOf(level, pkcs8));
  zero(Buffer.from(secretKey.buffer, secretKey.byteOffset, secretKey.byteLength));
  return mlDsaSpki(level, publicKey);
}
