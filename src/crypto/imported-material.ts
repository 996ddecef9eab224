/**
 * Imported key material: its identity and, for a private key, what kind of key it is.
 *
 * A material id is derived from the KMS key id and the material, as AWS derives KeyMaterialId
 * (reference §3.10): HMAC-SHA256 keyed by the material over a label and the key id. The same
 * material imported again gives the same id (so every older ciphertext, which names its material
 * id, opens again); replicas of a multi-Region key share the key id and so the id. Comparing ids
 * compares materials without ever storing one in the clear.
 *
 * Private keys arrive as PKCS#8 DER. RSA, EC and Ed25519 keys are parsed by OpenSSL and
 * re-encoded in its canonical PKCS#8 form, so the same key in another valid encoding is still
 * the same material; ML-DSA keys must be the seed-only form of RFC 9881 (what Coffer makes).
 */
import { createHmac, createPrivateKey, createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { utf8 } from './bytes.ts';
import { InvalidKeyError } from './errors.ts';
import type { EcCurve, KeyPairKind } from './keypair.ts';
import { mlDsaSpkiFromPkcs8, type MlDsaLevel } from './ml-dsa.ts';

const MATERIAL_ID_LABEL = 'coffer/v1/imported-key-material';

/** 64 lowercase hex characters naming `material` within the key `keyId`. */
export function importedMaterialId(keyId: string, material: Buffer): string {
  return createHmac('sha256', material).update(MATERIAL_ID_LABEL, 'utf8').update(Buffer.of(0)).update(utf8(keyId, 'key id')).digest('hex');
}

/** Constant-time equality of two material ids. */
export function sameMaterialId(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface InspectedPrivateKey {
  readonly kind: KeyPairKind;
  /** Canonical PKCS#8 DER: secret, the caller zeroes it. */
  readonly privateKey: Buffer;
  /** SubjectPublicKeyInfo DER. */
  readonly publicKey: Buffer;
}

const CURVE_OF: Readonly<Record<string, EcCurve>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521', secp256k1: 'secp256k1' };

function kindOf(key: KeyObject): KeyPairKind {
  const d = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = d?.modulusLength;
      if (bits === 2048 || bits === 3072 || bits === 4096) return { type: 'rsa', bits };
      throw new InvalidKeyError(`an RSA key of ${bits ?? 'unknown'} bits`);
    }
    case 'ec': {
      const curve = CURVE_OF[d?.namedCurve ?? ''];
      if (curve === undefined) throw new InvalidKeyError(`an EC key on ${d?.namedCurve ?? 'an unknown curve'}`);
      return { type: 'ec', curve };
    }
    case 'ed25519': return { type: 'ed25519' };
    default: throw new InvalidKeyError(`a ${key.asymmetricKeyType ?? 'unknown'} key`);
  }
}

function mlDsa(pkcs8: Buffer): InspectedPrivateKey | undefined {
  for (const level of [44, 65, 87] as const satisfies readonly MlDsaLevel[]) {
    try {
      const publicKey = mlDsaSpkiFromPkcs8(level, pkcs8);
      return { kind: { type: 'ml-dsa', level }, privateKey: Buffer.from(pkcs8), publicKey };
    } catch (e) {
      if (!(e instanceof InvalidKeyError)) throw e;
    }
  }
  return undefined;
}

/** What a PKCS#8 private key is, in canonical form, with its public key; InvalidKeyError otherwise. */
export function inspectPrivateKey(pkcs8: Buffer): InspectedPrivateKey {
  const pq = mlDsa(pkcs8);
  if (pq) return pq;
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new InvalidKeyError('not a DER PKCS#8 private key', { cause: e });
  }
  const kind = kindOf(key);
  return {
    kind,
    privateKey: key.export({ format: 'der', type: 'pkcs8' }),
    publicKey: createPublicKey(key).export({ format: 'der', type: 'spki' }),
  };
}

/** Whether two key-pair kinds are the same (type and size or curve). */
export function sameKind(a: KeyPairKind, b: KeyPairKind): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
