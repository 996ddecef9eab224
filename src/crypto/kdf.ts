/**
 * Per-request key derivation. Every symmetric Encrypt uses a fresh AES key
 * HKDF-SHA256(ikm = backing key, salt = random 256-bit nonce), so a backing key
 * never encrypts directly and GCM's 96-bit random-IV limit applies per request
 * key rather than per KMS key. The info string domain-separates this use.
 */
import { hkdfSync } from 'node:crypto';
import { CryptoError } from './errors.ts';

export const REQUEST_KEY_INFO = 'coffer/v1/symmetric-encrypt';
export const BACKING_KEY_LENGTH = 32;
export const REQUEST_NONCE_LENGTH = 32;

/** Plain HKDF-SHA256 (RFC 5869) via OpenSSL; exported so it can be checked against the RFC vectors. */
export function hkdfSha256(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

export function deriveRequestKey(backingKey: Buffer, nonce: Buffer): Buffer {
  if (backingKey.length !== BACKING_KEY_LENGTH) throw new CryptoError('backing key must be 32 bytes');
  if (nonce.length !== REQUEST_NONCE_LENGTH) throw new CryptoError('nonce must be 32 bytes');
  return hkdfSha256(backingKey, nonce, Buffer.from(REQUEST_KEY_INFO, 'utf8'), 32);
}
