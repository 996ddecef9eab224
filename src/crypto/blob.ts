/**
 * The symmetric ciphertext blob Coffer hands to clients. It must carry
 * everything needed to decrypt without the caller naming a key, so it is a
 * self-describing, versioned binary layout:
 *
 *   u8 version=1 | u8 keyIdLen (1..64) | keyId (printable ASCII) |
 *   materialId 32 | nonce 32 | iv 12 | tag 16 | ciphertext (>= 1 byte)
 *
 * Everything before the tag (the "header") is authenticated as GCM AAD, so
 * any change to it is caught by the tag. Parsing is strict: every malformation
 * is a BlobFormatError, raised before any key is touched.
 */
import { BlobFormatError, CryptoError } from './errors.ts';

export const BLOB_VERSION = 1;
export const MATERIAL_ID_LENGTH = 32;
export const NONCE_LENGTH = 32;
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
export const MAX_KEY_ID_LENGTH = 64;

export interface CiphertextParts {
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
export function blobHeader(p: Pick<CiphertextParts, 'keyId' | 'materialId' | 'nonce' | 'iv'>): Buffer {
  const keyId = Buffer.from(String(p.keyId), 'latin1');
  if (keyId.toString('latin1') !== p.keyId) throw new CryptoError('key id must be printable ASCII');
  checkKeyId(keyId, (m) => new CryptoError(m));
  checkLength(p.materialId, MATERIAL_ID_LENGTH, 'material id');
  checkLength(p.nonce, NONCE_LENGTH, 'nonce');
  checkLength(p.iv, IV_LENGTH, 'iv');
  return Buffer.concat([Buffer.of(BLOB_VERSION, keyId.length), keyId, p.materialId, p.nonce, p.iv]);
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
  if (buf[0] !== BLOB_VERSION) throw fail('unsupported version');
  const keyIdLen = buf[1] ?? 0;
  if (keyIdLen < 1 || keyIdLen > MAX_KEY_ID_LENGTH) throw fail('bad key id length');
  if (buf.length < 2 + keyIdLen + FIXED + 1) throw fail('too short');
  let at = 2;
  const take = (n: number): Buffer => Buffer.from(buf.subarray(at, (at += n))); // copies
  const keyIdBytes = take(keyIdLen);
  checkKeyId(keyIdBytes, fail);
  return {
    keyId: keyIdBytes.toString('latin1'),
    materialId: take(MATERIAL_ID_LENGTH),
    nonce: take(NONCE_LENGTH),
    iv: take(IV_LENGTH),
    tag: take(TAG_LENGTH),
    ciphertext: take(buf.length - at),
  };
}
