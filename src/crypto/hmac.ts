/**
 * HMAC (RFC 2104) for HMAC KMS keys, through node:crypto. Verification recomputes the MAC and
 * compares in constant time; a MAC of the wrong length is simply not equal.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { zero } from './bytes.ts';

export type HmacHash = 'sha224' | 'sha256' | 'sha384' | 'sha512';

export function hmac(hash: HmacHash, key: Buffer, message: Buffer): Buffer {
  return createHmac(hash, key).update(message).digest();
}

export function hmacVerify(hash: HmacHash, key: Buffer, message: Buffer, mac: Buffer): boolean {
  const expected = hmac(hash, key, message);
  try {
    return expected.length === mac.length && timingSafeEqual(expected, mac);
  } finally {
    zero(expected);
  }
}
