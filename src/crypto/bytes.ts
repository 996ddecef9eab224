/**
 * Small byte helpers shared by the crypto modules: wiping secrets, randomness
 * from OpenSSL's CSPRNG, and the one unambiguous length-prefixed encoding that
 * every AAD / canonical form in this layer is built from.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { CryptoError } from './errors.ts';

/** Overwrite each buffer with zeros (best effort: JS cannot wipe copies made elsewhere). */
export function zero(...bufs: (Buffer | undefined)[]): void {
  for (const b of bufs) b?.fill(0);
}

/** n bytes from node:crypto's CSPRNG. */
export function randomBytes(n: number): Buffer {
  return cryptoRandomBytes(n);
}

/**
 * Random bytes that are not secret (a nonce, an IV: both travel in the ciphertext), sliced from
 * a pooled CSPRNG buffer so that a request costs no call into OpenSSL for them. Never for keys:
 * the pool holds its bytes before they are handed out. Each byte is handed out once (a used-up
 * pool is replaced, not refilled, so earlier slices never change).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

export function publicRandomBytes(n: number): Buffer {
  if (n > POOL_BYTES) return cryptoRandomBytes(n);
  if (poolAt + n > pool.length) {
    pool = cryptoRandomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const out = pool.subarray(poolAt, poolAt + n);
  poolAt += n;
  return out;
}

/** 4-byte big-endian unsigned length/count. */
export function u32be(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CryptoError('length out of range for u32');
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/**
 * UTF-8 bytes of a string, refusing lone surrogates: Node would silently turn
 * them into U+FFFD, so two different strings would encode identically.
 */
export function utf8(s: string, what: string): Buffer {
  if (typeof s !== 'string') throw new CryptoError(`${what} must be a string`);
  const b = Buffer.from(s, 'utf8');
  if (b.toString('utf8') !== s) throw new CryptoError(`${what} is not well-formed Unicode`);
  return b;
}

/** u32be(len) || bytes for each part, concatenated: an injective encoding of a fixed-arity tuple. */
export function lengthPrefixed(parts: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) out.push(u32be(p.length), p);
  return Buffer.concat(out);
}
