/**
 * The import token GetParametersForImport hands out and ImportKeyMaterial takes back. Coffer keeps
 * no state for it: the token carries the wrapping private key and its terms, sealed by the key
 * store (AES-256-GCM under a domain key, the AAD naming the KMS key ARN and the token id), so it
 * is useless for any other key, cannot be altered, and nothing about it is ever stored.
 *
 *   token  = u8 version=1 | tokenId 32 | u8 n | domainKeyId (n bytes, ASCII) | sealed (>= 1 byte)
 *   sealed = seal(u8 version=1 | u64be validTo (epoch ms) | u8 n | wrapping algorithm |
 *                 u8 n | wrapping key spec | PKCS#8 private key)
 *
 * Parsing is strict: anything malformed is a BlobFormatError, raised before any key is touched.
 */
import { BlobFormatError, CryptoError } from './errors.ts';

export const IMPORT_TOKEN_VERSION = 1;
export const TOKEN_ID_LENGTH = 32;

export interface ImportToken {
  readonly tokenId: Buffer;
  readonly domainKeyId: string;
  readonly sealed: Buffer;
}

export interface ImportParameters {
  /** Epoch milliseconds. */
  readonly validTo: number;
  readonly wrappingAlgorithm: string;
  readonly wrappingKeySpec: string;
  /** PKCS#8 DER of the wrapping private key: secret. */
  readonly privateKey: Buffer;
}

const ascii = (s: string, what: string): Buffer => {
  const b = Buffer.from(s, 'latin1');
  if (b.length < 1 || b.length > 255 || !b.every((c) => c >= 0x21 && c <= 0x7e) || b.toString('latin1') !== s) {
    throw new CryptoError(`${what} must be 1..255 printable ASCII characters`);
  }
  return b;
};

/** Reads length-prefixed fields off a buffer; every overrun is a BlobFormatError. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer, private readonly what: string) {}
  fail(m: string): BlobFormatError { return new BlobFormatError(`${this.what}: ${m}`); }
  bytes(n: number): Buffer {
    if (this.at + n > this.buf.length) throw this.fail('too short');
    return this.buf.subarray(this.at, (this.at += n));
  }
  u8(): number { return this.bytes(1)[0] ?? 0; }
  text(): string {
    const s = this.bytes(this.u8()).toString('latin1');
    if (!/^[\x21-\x7e]+$/.test(s)) throw this.fail('bad text field');
    return s;
  }
  rest(): Buffer {
    const r = this.buf.subarray(this.at);
    if (r.length < 1) throw this.fail('too short');
    this.at = this.buf.length;
    return r;
  }
}

export function encodeImportToken(t: ImportToken): Buffer {
  if (t.tokenId.length !== TOKEN_ID_LENGTH) throw new CryptoError(`token id must be ${TOKEN_ID_LENGTH} bytes`);
  if (t.sealed.length < 1) throw new CryptoError('sealed parameters must not be empty');
  const dk = ascii(t.domainKeyId, 'domain key id');
  return Buffer.concat([Buffer.of(IMPORT_TOKEN_VERSION), t.tokenId, Buffer.of(dk.length), dk, t.sealed]);
}

export function decodeImportToken(buf: Buffer): ImportToken {
  const r = new Reader(buf, 'import token');
  if (r.u8() !== IMPORT_TOKEN_VERSION) throw r.fail('unsupported version');
  const tokenId = Buffer.from(r.bytes(TOKEN_ID_LENGTH));
  const domainKeyId = r.text();
  return { tokenId, domainKeyId, sealed: Buffer.from(r.rest()) };
}

/** The plaintext to seal; the caller zeroes it (it holds the private key). */
export function encodeImportParameters(p: ImportParameters): Buffer {
  if (!Number.isSafeInteger(p.validTo) || p.validTo < 0) throw new CryptoError('validTo must be epoch milliseconds');
  const validTo = Buffer.alloc(8);
  validTo.writeBigUInt64BE(BigInt(p.validTo));
  const alg = ascii(p.wrappingAlgorithm, 'wrapping algorithm');
  const spec = ascii(p.wrappingKeySpec, 'wrapping key spec');
  if (p.privateKey.length < 1) throw new CryptoError('the private key must not be empty');
  return Buffer.concat([Buffer.of(IMPORT_TOKEN_VERSION), validTo, Buffer.of(alg.length), alg, Buffer.of(spec.length), spec, p.privateKey]);
}

/** Parses opened parameters; `privateKey` is a view into `buf` (zero `buf` when done). */
export function decodeImportParameters(buf: Buffer): ImportParameters {
  const r = new Reader(buf, 'import parameters');
  if (r.u8() !== IMPORT_TOKEN_VERSION) throw r.fail('unsupported version');
  const validTo = Number(r.bytes(8).readBigUInt64BE(0));
  if (!Number.isSafeInteger(validTo)) throw r.fail('bad validTo');
  const wrappingAlgorithm = r.text();
  const wrappingKeySpec = r.text();
  return { validTo, wrappingAlgorithm, wrappingKeySpec, privateKey: r.rest() };
}
