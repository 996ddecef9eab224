/**
 * Elliptic-curve signatures and key agreement for asymmetric KMS keys.
 *
 * ECDSA signatures are DER SEQUENCE { r, s } (RFC 3279). Whole messages are signed and verified
 * by OpenSSL through node:crypto. node:crypto cannot sign a digest handed in (KMS's DIGEST message
 * type), so digests go to @noble/curves with prehash off and hedged nonces (RFC 6979 plus fresh
 * randomness); verification of a digest accepts high-S signatures, as OpenSSL makes them.
 * Ed25519 (pure, RFC 8032) is OpenSSL's; Ed25519ph (HashEdDSA, which node:crypto lacks) is noble's.
 * ECDH is OpenSSL's: the raw x-coordinate of the shared point (SP 800-56A's Z).
 */
import { diffieHellman, sign, verify, type KeyObject } from 'node:crypto';
import { privateKeyObject, publicKeyObject } from './key-objects.ts';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { zero } from './bytes.ts';
import { ecPrivateScalar, ed25519Seed } from './der.ts';
import { InvalidKeyError } from './errors.ts';
import type { EcCurve } from './keypair.ts';

export type EcdsaHash = 'sha256' | 'sha384' | 'sha512';

const NOBLE = { 'P-256': p256, 'P-384': p384, 'P-521': p521, secp256k1 } as const;
/** node:crypto's names for the curves, as asymmetricKeyDetails reports them. */
const NODE_CURVE: Readonly<Record<EcCurve, string>> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1', secp256k1: 'secp256k1' };

const privateKey = (pkcs8: Buffer): KeyObject => privateKeyObject(pkcs8);

/** A public key from SPKI DER that must be of `type` (and on `curve`); InvalidKeyError otherwise. */
function publicKey(spki: Buffer, type: 'ec' | 'ed25519', curve?: EcCurve): KeyObject {
  let key: KeyObject;
  try {
    key = publicKeyObject(spki);
  } catch (e) {
    throw new InvalidKeyError('the public key is not a DER SubjectPublicKeyInfo', { cause: e });
  }
  if (key.asymmetricKeyType !== type) throw new InvalidKeyError(`the public key is not an ${type} key`);
  if (curve !== undefined && key.asymmetricKeyDetails?.namedCurve !== NODE_CURVE[curve]) {
    throw new InvalidKeyError(`the public key is not on ${curve}`);
  }
  return key;
}

/** A public coordinate of a key (public keys only: JWK text cannot be wiped). */
const jwkBytes = (key: KeyObject, member: 'x' | 'y'): Buffer => {
  const jwk = key.export({ format: 'jwk' });
  const value = jwk[member];
  if (typeof value !== 'string') throw new InvalidKeyError(`the key has no ${member}`);
  return Buffer.from(value, 'base64url');
};

const uncompressedPoint = (key: KeyObject): Buffer => Buffer.concat([Buffer.of(0x04), jwkBytes(key, 'x'), jwkBytes(key, 'y')]);

export function ecdsaSign(curve: EcCurve, pkcs8: Buffer, hash: EcdsaHash, message: Buffer, isDigest: boolean): Buffer {
  if (!isDigest) return sign(hash, message, { key: privateKey(pkcs8), dsaEncoding: 'der' });
  const scalar = ecPrivateScalar(pkcs8);
  try {
    return Buffer.from(NOBLE[curve].sign(message, scalar, { prehash: false, format: 'der', extraEntropy: true }));
  } finally {
    zero(scalar);
  }
}

export function ecdsaVerify(curve: EcCurve, spki: Buffer, hash: EcdsaHash, message: Buffer, isDigest: boolean, signature: Buffer): boolean {
  const key = publicKey(spki, 'ec', curve);
  try {
    if (!isDigest) return verify(hash, message, { key, dsaEncoding: 'der' }, signature);
    return NOBLE[curve].verify(signature, message, uncompressedPoint(key), { prehash: false, format: 'der', lowS: false });
  } catch {
    return false; // a signature that is not DER
  }
}

export function ed25519Sign(pkcs8: Buffer, message: Buffer): Buffer {
  return sign(null, message, privateKey(pkcs8));
}

export function ed25519Verify(spki: Buffer, message: Buffer, signature: Buffer): boolean {
  const key = publicKey(spki, 'ed25519');
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** Ed25519ph (RFC 8032 §5.1, empty context): signs PH(message) = SHA-512(message). */
export function ed25519phSign(pkcs8: Buffer, message: Buffer): Buffer {
  const seed = ed25519Seed(pkcs8);
  try {
    return Buffer.from(ed25519ph.sign(message, seed));
  } finally {
    zero(seed);
  }
}

export function ed25519phVerify(spki: Buffer, message: Buffer, signature: Buffer): boolean {
  const key = publicKey(spki, 'ed25519');
  try {
    return ed25519ph.verify(signature, message, jwkBytes(key, 'x'));
  } catch {
    return false;
  }
}

/** ECDH with a peer's SPKI public key on the same curve: the raw shared secret. */
export function ecdh(curve: EcCurve, pkcs8: Buffer, peerSpki: Buffer): Buffer {
  const peer = publicKey(peerSpki, 'ec', curve);
  try {
    return diffieHellman({ privateKey: privateKey(pkcs8), publicKey: peer });
  } catch (e) {
    throw new InvalidKeyError('the public key is not a valid point', { cause: e });
  }
}
