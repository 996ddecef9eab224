/**
 * The little DER this layer needs: building the fixed ML-DSA key structures, and reading the
 * private scalar out of EC and Ed25519 PKCS#8 keys without a detour through strings (a JWK's
 * base64 text could not be wiped). Definite lengths only; anything unexpected is InvalidKeyError.
 */
import { CryptoError, InvalidKeyError } from './errors.ts';

export function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  if (n < 0x100) return Buffer.of(0x81, n);
  if (n < 0x10000) return Buffer.of(0x82, n >> 8, n & 0xff);
  throw new CryptoError('DER length out of range');
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), derLength(body.length), body]);
}

interface Tlv { readonly tag: number; readonly value: Buffer; readonly next: number }

/** The element at `at`; its value is a view into `buf`. */
export function readTlv(buf: Buffer, at: number): Tlv {
  const fail = (): never => { throw new InvalidKeyError('malformed DER'); };
  const tag = buf[at] ?? fail();
  let len = buf[at + 1] ?? fail();
  let start = at + 2;
  if (len >= 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 2) fail();
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[start + i] ?? fail());
    start += n;
  }
  if (start + len > buf.length) fail();
  return { tag, value: buf.subarray(start, start + len), next: start + len };
}

/** The elements of a constructed value, in order. */
export function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length; at = out[out.length - 1]?.next ?? value.length) out.push(readTlv(value, at));
  return out;
}

const expect = (t: Tlv | undefined, tag: number): Tlv => {
  if (t?.tag !== tag) throw new InvalidKeyError('unexpected DER element');
  return t;
};

/** The privateKey OCTET STRING content of a PKCS#8 PrivateKeyInfo (a view). */
function pkcs8PrivateKey(pkcs8: Buffer): Buffer {
  const info = expect(readTlv(pkcs8, 0), 0x30);
  const [version, , key] = children(info.value);
  expect(version, 0x02);
  return expect(key, 0x04).value;
}

/** The private scalar d of an EC PKCS#8 key (ECPrivateKey, RFC 5915), as a copy the caller zeroes. */
export function ecPrivateScalar(pkcs8: Buffer): Buffer {
  const ecPrivateKey = expect(readTlv(pkcs8PrivateKey(pkcs8), 0), 0x30);
  const [, d] = children(ecPrivateKey.value);
  return Buffer.from(expect(d, 0x04).value);
}

/** The 32-byte seed of an Ed25519 PKCS#8 key (CurvePrivateKey, RFC 8410), as a copy the caller zeroes. */
export function ed25519Seed(pkcs8: Buffer): Buffer {
  const seed = expect(readTlv(pkcs8PrivateKey(pkcs8), 0), 0x04).value;
  if (seed.length !== 32) throw new InvalidKeyError('an Ed25519 seed is 32 bytes');
  return Buffer.from(seed);
}
