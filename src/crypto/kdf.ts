/**
 * Per-request key derivation. Every symmetric Encrypt uses a fresh AES key
 * HKDF-SHA256(ikm = backing key, salt = random 256-bit nonce), so a backing key
 * never encrypts directly and GCM's 96-bit random-IV limit applies per request
 * key rather than per KMS key. The info string domain-separates this use.
 */
import { createHmac } from 'node:crypto';
import { CryptoError } from './errors.ts';

export const REQUEST_KEY_INFO = 'coffer/v1/symmetric-encrypt';
export const BACKING_KEY_LENGTH = 32;
export const REQUEST_NONCE_LENGTH = 32;

/** HKDF's T(0): one shared empty block rather than a new buffer per call. */
const EMPTY = Buffer.alloc(0);

/**
 * Plain HKDF-SHA256 (RFC 5869) from OpenSSL's HMAC; exported so it can be checked against the RFC
 * vectors. Written out rather than `hkdfSync`, which costs twice as much per call (it builds key
 * objects and validates its arguments), and Encrypt calls this once per request.
 */
export function hkdfSha256(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  if (length > 255 * 32) throw new CryptoError('HKDF-SHA256 output is at most 8160 bytes');
  const prk = createHmac('sha256', salt.length > 0 ? salt : Buffer.alloc(32)).update(ikm).digest();
  const blocks: Buffer[] = [];
  let previous = EMPTY;
  for (let i = 1, have = 0; have < length; i++) {
    previous = createHmac('sha256', prk).update(previous).update(info).update(Buffer.of(i)).digest();
    blocks.push(previous);
    have += previous.length;
  }
  prk.fill(0);
  const out = Buffer.concat(blocks).subarray(0, length);
  return out;
}

const REQUEST_KEY_INFO_BYTES = Buffer.from(REQUEST_KEY_INFO, 'utf8');

export function deriveRequestKey(backingKey: Buffer, nonce: Buffer): Buffer {
  if (backingKey.length !== BACKING_KEY_LENGTH) throw new CryptoError('backing key must be 32 bytes');
  if (nonce.length !== REQUEST_NONCE_LENGTH) throw new CryptoError('nonce must be 32 bytes');
  return hkdfSha256(backingKey, nonce, REQUEST_KEY_INFO_BYTES, 32);
}
