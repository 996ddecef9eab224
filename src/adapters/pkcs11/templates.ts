/**
 * The attribute templates of the objects Coffer creates (design/hsm-tier.md §1.1): every secret or
 * private key is a token object, private, sensitive and not modifiable; it is extractable only as
 * the template says, and then only under a trusted key (CKA_WRAP_WITH_TRUSTED). Every usage
 * attribute is written out, so that no module default decides what a key may do. CKA_MODIFIABLE
 * comes last in every template (see secretKeyTemplate).
 */
import { createPublicKey } from 'node:crypto';
import type { SecretKeyTemplate } from '../../ports/hsm.ts';
import { CKA, CKK, CKO } from './constants.ts';
import type { Attribute } from './library.ts';

const USAGE_ATTRIBUTES = {
  encrypt: CKA.ENCRYPT,
  decrypt: CKA.DECRYPT,
  wrap: CKA.WRAP,
  unwrap: CKA.UNWRAP,
  sign: CKA.SIGN,
  verify: CKA.VERIFY,
} as const;

/** A secret key's template; `bytes` (CKA_VALUE_LEN) for generation only, since an unwrap learns the length from the blob. */
export function secretKeyTemplate(t: SecretKeyTemplate, bytes?: number, token = true): Attribute[] {
  const usage = new Set(t.usage);
  return [
    { type: CKA.CLASS, value: CKO.SECRET_KEY },
    { type: CKA.KEY_TYPE, value: t.keyType === 'generic-secret' ? CKK.GENERIC_SECRET : CKK.AES },
    { type: CKA.TOKEN, value: token },
    { type: CKA.PRIVATE, value: true },
    { type: CKA.SENSITIVE, value: true },
    { type: CKA.EXTRACTABLE, value: t.extractable },
    { type: CKA.WRAP_WITH_TRUSTED, value: t.wrapWithTrusted },
    ...Object.entries(USAGE_ATTRIBUTES).map(([name, type]) => ({ type, value: usage.has(name as keyof typeof USAGE_ATTRIBUTES) })),
    { type: CKA.DERIVE, value: false },
    { type: CKA.ID, value: t.id },
    { type: CKA.LABEL, value: t.label },
    ...(bytes === undefined ? [] : [{ type: CKA.VALUE_LEN, value: bytes }]),
    // Last: SoftHSM 2.6.1's C_UnwrapKey sets the template's attributes one by one and refuses every
    // one after CKA_MODIFIABLE=false with CKR_ATTRIBUTE_READ_ONLY.
    { type: CKA.MODIFIABLE, value: false },
  ];
}

/** An RSA pair for CSR signing: the private key signs and does nothing else, and never leaves the token. */
export function rsaPairTemplates(id: Buffer, label: string, bits: number): { publicKey: Attribute[]; privateKey: Attribute[] } {
  return {
    publicKey: [
      { type: CKA.CLASS, value: CKO.PUBLIC_KEY },
      { type: CKA.KEY_TYPE, value: CKK.RSA },
      { type: CKA.TOKEN, value: true },
      { type: CKA.PRIVATE, value: false },
      { type: CKA.VERIFY, value: true },
      { type: CKA.ENCRYPT, value: false },
      { type: CKA.WRAP, value: false },
      { type: CKA.VERIFY_RECOVER, value: false },
      { type: CKA.MODULUS_BITS, value: bits },
      { type: CKA.PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      { type: CKA.ID, value: id },
      { type: CKA.LABEL, value: label },
      { type: CKA.MODIFIABLE, value: false },
    ],
    privateKey: [
      { type: CKA.CLASS, value: CKO.PRIVATE_KEY },
      { type: CKA.KEY_TYPE, value: CKK.RSA },
      { type: CKA.TOKEN, value: true },
      { type: CKA.PRIVATE, value: true },
      { type: CKA.SENSITIVE, value: true },
      { type: CKA.EXTRACTABLE, value: false },
      { type: CKA.SIGN, value: true },
      { type: CKA.DECRYPT, value: false },
      { type: CKA.UNWRAP, value: false },
      { type: CKA.SIGN_RECOVER, value: false },
      { type: CKA.DERIVE, value: false },
      { type: CKA.ID, value: id },
      { type: CKA.LABEL, value: label },
      { type: CKA.MODIFIABLE, value: false },
    ],
  };
}

/**
 * The cluster key as the SO creates it: trusted, WRAP and UNWRAP only, sensitive, never
 * extractable. Public (CKA_PRIVATE=false) because the SoftHSM SO can create nothing else (HSM.md
 * gotcha 12); `value` is the caller's.
 *
 * Limit, seen on SoftHSM 2.6.1 with pkcs11js 2.1.7: without a CKA_UNWRAP_TEMPLATE on this key, a
 * logged-in user can wrap a WRAP_WITH_TRUSTED key under it and unwrap the blob into a
 * non-sensitive object whose CKA_VALUE reads in clear. pkcs11js 2.1.7 cannot pass an
 * attribute-array value ("Property 'value' should be a Number, Boolean, String or Buffer"), so no
 * unwrap template is set here; whoever holds a user PIN of a token with the cluster key can read
 * its keys.
 */
export function trustedKeyTemplate(id: Buffer, label: string, value: Buffer): Attribute[] {
  return [
    { type: CKA.CLASS, value: CKO.SECRET_KEY },
    { type: CKA.KEY_TYPE, value: CKK.AES },
    { type: CKA.TOKEN, value: true },
    { type: CKA.PRIVATE, value: false },
    { type: CKA.SENSITIVE, value: true },
    { type: CKA.EXTRACTABLE, value: false },
    { type: CKA.TRUSTED, value: true },
    { type: CKA.WRAP, value: true },
    { type: CKA.UNWRAP, value: true },
    { type: CKA.ENCRYPT, value: false },
    { type: CKA.DECRYPT, value: false },
    { type: CKA.SIGN, value: false },
    { type: CKA.VERIFY, value: false },
    { type: CKA.DERIVE, value: false },
    { type: CKA.VALUE, value },
    { type: CKA.ID, value: id },
    { type: CKA.LABEL, value: label },
    { type: CKA.MODIFIABLE, value: false },
  ];
}

/** SubjectPublicKeyInfo DER of an RSA public key from CKA_MODULUS and CKA_PUBLIC_EXPONENT (big-endian). */
export function rsaSpki(modulus: Buffer, exponent: Buffer): Buffer {
  const b64u = (b: Buffer): string => stripZeros(b).toString('base64url');
  return createPublicKey({ key: { kty: 'RSA', n: b64u(modulus), e: b64u(exponent) }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}
