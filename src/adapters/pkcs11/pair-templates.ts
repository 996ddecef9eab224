/**
 * The templates of crypto users' key pairs (design/hsm-tier.md §1.1, §3.4): the private half is a
 * token object, private, sensitive, not modifiable, extractable only as the template says (and then
 * only under a trusted key); the public half is a public token object. Every usage attribute is
 * written out. Also the SPKI ⇄ CKA_* conversions of RSA and EC public keys.
 */
import { createPublicKey } from 'node:crypto';
import type { EcCurve, KeyPairSpec, PrivateKeyTemplate, PublicKeyTemplate } from '../../ports/hsm.ts';
import { CKA, CKK, CKO } from './constants.ts';
import { hsmError } from './errors.ts';
import type { Attribute } from './library.ts';
import { rsaSpki } from './templates.ts';

/** DER of each curve's OID (CKA_EC_PARAMS), and its JWK name. */
const CURVES: Readonly<Record<EcCurve, { params: Buffer; jwk: string; bytes: number }>> = {
  secp256r1: { params: Buffer.from('06082a8648ce3d030107', 'hex'), jwk: 'P-256', bytes: 32 },
  secp384r1: { params: Buffer.from('06052b81040022', 'hex'), jwk: 'P-384', bytes: 48 },
  secp521r1: { params: Buffer.from('06052b81040023', 'hex'), jwk: 'P-521', bytes: 66 },
};

const PRIVATE_USAGE = { sign: CKA.SIGN, decrypt: CKA.DECRYPT, unwrap: CKA.UNWRAP } as const;
const PUBLIC_USAGE = { verify: CKA.VERIFY, encrypt: CKA.ENCRYPT, wrap: CKA.WRAP } as const;

function flags<K extends string>(table: Readonly<Record<K, number>>, usage: readonly K[]): Attribute[] {
  const set = new Set(usage);
  return (Object.entries(table) as [K, number][]).map(([name, type]) => ({ type, value: set.has(name) }));
}

/** A private key's template (generation or unwrap); CKA_MODIFIABLE last (see templates.ts). */
export function privateKeyTemplate(t: PrivateKeyTemplate): Attribute[] {
  return [
    { type: CKA.CLASS, value: CKO.PRIVATE_KEY },
    { type: CKA.KEY_TYPE, value: t.keyType === 'ec' ? CKK.EC : CKK.RSA },
    { type: CKA.TOKEN, value: true },
    { type: CKA.PRIVATE, value: true },
    { type: CKA.SENSITIVE, value: true },
    { type: CKA.EXTRACTABLE, value: t.extractable },
    { type: CKA.WRAP_WITH_TRUSTED, value: t.wrapWithTrusted },
    ...flags(PRIVATE_USAGE, t.usage),
    { type: CKA.SIGN_RECOVER, value: false },
    { type: CKA.DERIVE, value: false },
    { type: CKA.ID, value: t.id },
    { type: CKA.LABEL, value: t.label },
    { type: CKA.MODIFIABLE, value: false },
  ];
}

function publicCommon(t: PublicKeyTemplate, keyType: number): Attribute[] {
  return [
    { type: CKA.CLASS, value: CKO.PUBLIC_KEY },
    { type: CKA.KEY_TYPE, value: keyType },
    { type: CKA.TOKEN, value: true },
    { type: CKA.PRIVATE, value: false },
    ...flags(PUBLIC_USAGE, t.usage),
    { type: CKA.VERIFY_RECOVER, value: false },
    { type: CKA.DERIVE, value: false },
    { type: CKA.ID, value: t.id },
    { type: CKA.LABEL, value: t.label },
  ];
}

/** The public half's template for C_GenerateKeyPair. */
export function publicKeyGenTemplate(spec: KeyPairSpec, t: PublicKeyTemplate): Attribute[] {
  const size: Attribute[] = spec.kind === 'rsa'
    ? [{ type: CKA.MODULUS_BITS, value: spec.bits }, { type: CKA.PUBLIC_EXPONENT, value: uintBytes(spec.publicExponent) }]
    : [{ type: CKA.EC_PARAMS, value: CURVES[spec.curve].params }];
  return [...publicCommon(t, spec.kind === 'ec' ? CKK.EC : CKK.RSA), ...size, { type: CKA.MODIFIABLE, value: false }];
}

/** A public-key object's template for C_CreateObject, from its SPKI DER (RSA or a curve of CURVES). */
export function publicKeyObjectTemplate(t: PublicKeyTemplate, spki: Buffer): Attribute[] {
  const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
  if (jwk.kty === 'RSA' && jwk.n !== undefined && jwk.e !== undefined) {
    return [...publicCommon(t, CKK.RSA), { type: CKA.MODULUS, value: Buffer.from(jwk.n, 'base64url') },
      { type: CKA.PUBLIC_EXPONENT, value: Buffer.from(jwk.e, 'base64url') }, { type: CKA.MODIFIABLE, value: false }];
  }
  const curve = (Object.entries(CURVES) as [EcCurve, (typeof CURVES)[EcCurve]][]).find(([, c]) => c.jwk === jwk.crv);
  if (jwk.kty !== 'EC' || curve === undefined || jwk.x === undefined || jwk.y === undefined) throw hsmError('CKR_TEMPLATE_INCONSISTENT', 'C_CreateObject: not an RSA or supported EC public key');
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  return [...publicCommon(t, CKK.EC), { type: CKA.EC_PARAMS, value: curve[1].params }, { type: CKA.EC_POINT, value: derOctets(point) },
    { type: CKA.MODIFIABLE, value: false }];
}

/** SPKI DER from an EC public key's CKA_EC_PARAMS and CKA_EC_POINT (DER OCTET STRING of 04||x||y). */
export function ecSpki(params: Buffer, ecPoint: Buffer): Buffer {
  const curve = Object.values(CURVES).find((c) => c.params.equals(params));
  if (curve === undefined) throw hsmError('CKR_CURVE_NOT_SUPPORTED', 'reading an EC public key');
  const point = ecPoint[0] === 0x04 && ecPoint.length !== 1 + 2 * curve.bytes ? unwrapOctets(ecPoint) : ecPoint;
  const x = point.subarray(1, 1 + curve.bytes).toString('base64url');
  const y = point.subarray(1 + curve.bytes).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: curve.jwk, x, y }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

/** SPKI of the public key object `attrs` (CKA_KEY_TYPE and its key attributes) reads as. */
export function spkiOf(keyType: number, get: (type: number) => Buffer | undefined): Buffer {
  if (keyType === CKK.RSA) {
    const n = get(CKA.MODULUS);
    const e = get(CKA.PUBLIC_EXPONENT);
    if (n === undefined || e === undefined) throw hsmError('CKR_TEMPLATE_INCOMPLETE', 'reading an RSA public key');
    return rsaSpki(n, e);
  }
  const params = get(CKA.EC_PARAMS);
  const point = get(CKA.EC_POINT);
  if (params === undefined || point === undefined) throw hsmError('CKR_TEMPLATE_INCOMPLETE', 'reading an EC public key');
  return ecSpki(params, point);
}

function uintBytes(n: number): Buffer {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
}

function derOctets(b: Buffer): Buffer {
  const len = b.length < 128 ? Buffer.from([b.length]) : b.length < 256 ? Buffer.from([0x81, b.length]) : Buffer.from([0x82, b.length >> 8, b.length & 0xff]);
  return Buffer.concat([Buffer.from([0x04]), len, b]);
}

function unwrapOctets(b: Buffer): Buffer {
  const first = b[1] ?? 0;
  const skip = first < 128 ? 2 : 2 + (first & 0x7f);
  return b.subarray(skip);
}
