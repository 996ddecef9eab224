/**
 * The symmetric ciphertext blob Coffer hands to clients. It must carry
 * everything needed to decrypt without the caller naming a key, so it is a
 * self-describing, versioned binary layout:
 *
 *   u8 version (1: software, 2: token) | u8 keyIdLen (1..64) | keyId (printable ASCII) |
 *   materialId 32 | nonce 32 | iv 12 | tag 16 | ciphertext (>= 1 byte)
 *
 * Everything before the tag (the "header") is authenticated as GCM AAD, so
 * any change to it is caught by the tag. Version 1 blobs are sealed in process under a per-request
 * key derived from the nonce; version 2 blobs were sealed inside an HSM token (a key of an
 * AWS_CLOUDHSM custom key store) directly under the key, the nonce then random and unused.
 * A blob says which path made it, and neither path opens the other's. Parsing is strict: every malformation
 * is a BlobFormatError, raised before any key is touched.
 */
import { BlobFormatError, CryptoError } from './errors.ts';

export const BLOB_VERSION = 1;
/** Ciphertexts sealed inside an HSM token (AWS_CLOUDHSM custom key stores). */
export const TOKEN_BLOB_VERSION = 2;
export type BlobVersion = typeof BLOB_VERSION | typeof TOKEN_BLOB_VERSION;
export const MATERIAL_ID_LENGTH = 32;
export const NONCE_LENGTH = 32;
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
export const MAX_KEY_ID_LENGTH = 64;

export interface CiphertextParts {
  /** Absent: 1. */
  version?: BlobVersion;
  keyId: string;
  materialId: Buffer;
  nonce: Buffer;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

const FIXED = MATERIAL_ID_LENGTH + NONCE_LENGTH + IV_LENGTH + TAG_LENGTH;

/** Bytes added to the plaintext length (GCM ciphertext is as long as the plaintext). */
export const BLOB_OVERHEAD_FOR = (keyIdLength: number): number => 2 + keyIdLength + FIXED;

const isKeyIdByte = (c: number): boolean => c >= 0x21 && c <= 0x7e;

function checkKeyId(bytes: Buffer, fail: (msg: string) => Error): void {
  if (bytes.length < 1 || bytes.length > MAX_KEY_ID_LENGTH) throw fail(`key id must be 1..${MAX_KEY_ID_LENGTH} bytes`);
  if (!bytes.every(isKeyIdByte)) throw fail('key id must be printable ASCII');
}

function checkLength(b: Buffer, n: number, what: string): void {
  if (!Buffer.isBuffer(b) || b.length !== n) throw new CryptoError(`${what} must be ${n} bytes`);
}

/** The authenticated header: version .. iv. */
export function blobHeader(p: Pick<CiphertextParts, 'keyId' | 'materialId' | 'nonce' | 'iv' | 'version'>): Buffer {
  const keyId = Buffer.from(String(p.keyId), 'latin1');
  if (keyId.toString('latin1') !== p.keyId) throw new CryptoError('key id must be printable ASCII');
  checkKeyId(keyId, (m) => new CryptoError(m));
  checkLength(p.materialId, MATERIAL_ID_LENGTH, 'material id');
  checkLength(p.nonce, NONCE_LENGTH, 'nonce');
  checkLength(p.iv, IV_LENGTH, 'iv');
  const version = p.version ?? BLOB_VERSION;
  if (version !== BLOB_VERSION && version !== TOKEN_BLOB_VERSION) throw new CryptoError('unknown blob version');
  return Buffer.concat([Buffer.of(version, keyId.length), keyId, p.materialId, p.nonce, p.iv]);
}

export function encodeBlob(p: CiphertextParts): Buffer {
  return encodeBlobWithHeader(blobHeader(p), p.tag, p.ciphertext);
}

/** encodeBlob for a header blobHeader already built (sealing uses it as AAD first). */
export function encodeBlobWithHeader(header: Buffer, tag: Buffer, ciphertext: Buffer): Buffer {
  checkLength(tag, TAG_LENGTH, 'tag');
  if (!Buffer.isBuffer(ciphertext) || ciphertext.length < 1) throw new CryptoError('ciphertext must not be empty');
  return Buffer.concat([header, tag, ciphertext]);
}

export function decodeBlob(buf: Buffer): CiphertextParts {
  const fail = (m: string): BlobFormatError => new BlobFormatError(`ciphertext blob: ${m}`);
  if (!Buffer.isBuffer(buf) || buf.length < 2) throw fail('too short');
  const version = buf[0];
  if (version !== BLOB_VERSION && version !== TOKEN_BLOB_VERSION) throw fail('unsupported version');
  const keyIdLen = buf[1] ?? 0;
  if (keyIdLen < 1 || keyIdLen > MAX_KEY_ID_LENGTH) throw fail('bad key id length');
  if (buf.length < 2 + keyIdLen + FIXED + 1) throw fail('too short');
  let at = 2;
  const take = (n: number): Buffer => Buffer.from(buf.subarray(at, (at += n))); // copies
  const keyIdBytes = take(keyIdLen);
  checkKeyId(keyIdBytes, fail);
  return {
    ...(version === TOKEN_BLOB_VERSION ? { version } : {}),
    keyId: keyIdBytes.toString('latin1'),
    materialId: take(MATERIAL_ID_LENGTH),
    nonce: take(NONCE_LENGTH),
    iv: take(IV_LENGTH),
    tag: take(TAG_LENGTH),
    ciphertext: take(buf.length - at),
  };
}
