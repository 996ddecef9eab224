/**
 * Key-pair generation for asymmetric KMS keys and data key pairs. Every pair comes out as DER:
 * the private key as PKCS#8 PrivateKeyInfo (RFC 5958), the public key as SubjectPublicKeyInfo
 * (RFC 5280). RSA, EC and Ed25519 pairs are made by OpenSSL through node:crypto's asynchronous
 * generateKeyPair, on the libuv thread pool, so even a 4096-bit RSA key never blocks the event
 * loop; ML-DSA pairs come from @noble/post-quantum (see ml-dsa.ts).
 */
import { generateKeyPair as nodeGenerateKeyPair } from 'node:crypto';
import { CryptoError } from './errors.ts';
import { mlDsaKeyPair, type MlDsaLevel } from './ml-dsa.ts';

export type EcCurve = 'P-256' | 'P-384' | 'P-521' | 'secp256k1';

export type KeyPairKind =
  | { readonly type: 'rsa'; readonly bits: 2048 | 3072 | 4096 }
  | { readonly type: 'ec'; readonly curve: EcCurve }
  | { readonly type: 'ed25519' }
  | { readonly type: 'ml-dsa'; readonly level: MlDsaLevel };

export interface DerKeyPair {
  /** PKCS#8 DER: secret, the caller zeroes it. */
  readonly privateKey: Buffer;
  /** SubjectPublicKeyInfo DER. */
  readonly publicKey: Buffer;
}

/** node:crypto's callback generateKeyPair for DER output, as a promise. */
function generateDer(type: 'rsa' | 'ec' | 'ed25519', options: { modulusLength?: number; namedCurve?: string }): Promise<DerKeyPair> {
  const encodings = { publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } } as const;
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: Buffer, privateKey: Buffer): void => (err ? reject(err) : resolve({ publicKey, privateKey }));
    switch (type) {
      case 'rsa': nodeGenerateKeyPair('rsa', { modulusLength: options.modulusLength ?? 0, publicExponent: 65537, ...encodings }, done); break;
      case 'ec': nodeGenerateKeyPair('ec', { namedCurve: options.namedCurve ?? '', ...encodings }, done); break;
      case 'ed25519': nodeGenerateKeyPair('ed25519', encodings, done); break;
    }
  });
}

export async function generateKeyPair(kind: KeyPairKind): Promise<DerKeyPair> {
  switch (kind.type) {
    case 'rsa': return generateDer('rsa', { modulusLength: kind.bits });
    case 'ec': return generateDer('ec', { namedCurve: kind.curve });
    case 'ed25519': return generateDer('ed25519', {});
    case 'ml-dsa': return mlDsaKeyPair(kind.level);
  }
  throw new CryptoError('unknown key pair type');
}
