/**
 * What can be done with one version of a key's material, as data: the key store performs it
 * (in process for the software store, inside a token for a PKCS#11 store) and hands back only the
 * result, never the material. One specification per operation, one driver (the store's
 * `perform`), so that an operation's rules live in the services and its execution in the store.
 */
import type { EcCurve, KeyPairKind } from '../crypto/keypair.ts';
import type { HmacHash } from '../crypto/hmac.ts';
import type { OaepHash, RsaHash, RsaSignatureScheme } from '../crypto/rsa.ts';
import type { MlDsaLevel } from '../crypto/ml-dsa.ts';

type Context = Readonly<Record<string, string>> | undefined;

/** How a signature is made: the scheme and what it needs, and whether `message` is already a digest (or ML-DSA's μ). */
export type SignSpec =
  | { readonly scheme: RsaSignatureScheme; readonly hash: RsaHash; readonly digest: Buffer }
  | { readonly scheme: 'ECDSA'; readonly curve: EcCurve; readonly hash: RsaHash; readonly message: Buffer; readonly isDigest: boolean }
  | { readonly scheme: 'ED25519'; readonly message: Buffer }
  | { readonly scheme: 'ED25519_PH'; readonly digest: Buffer }
  | { readonly scheme: 'ML_DSA'; readonly level: MlDsaLevel; readonly message: Buffer; readonly externalMu: boolean };

export type KeyOperation =
  /** A symmetric ciphertext blob for `plaintext`, naming `keyId` and the material's version. */
  | { readonly kind: 'encrypt'; readonly keyId: string; readonly plaintext: Buffer; readonly context: Context }
  /** The plaintext of a symmetric blob sealed under this version (AuthenticationError otherwise). */
  | { readonly kind: 'decrypt'; readonly blob: Buffer; readonly context: Context }
  | { readonly kind: 'rsa-decrypt'; readonly hash: OaepHash; readonly ciphertext: Buffer }
  | { readonly kind: 'sign'; readonly spec: SignSpec }
  | { readonly kind: 'mac'; readonly hash: HmacHash; readonly message: Buffer }
  | { readonly kind: 'verify-mac'; readonly hash: HmacHash; readonly message: Buffer; readonly mac: Buffer }
  | { readonly kind: 'derive'; readonly curve: EcCurve; readonly peerPublicKey: Buffer };

/** What `perform` answers: whether a MAC verifies, else the bytes made (secret for decrypt, derive). */
export type KeyOperationResult<O extends KeyOperation> = O extends { readonly kind: 'verify-mac' } ? boolean : Buffer;

/** The material a new key version gets. */
export type MaterialSpec =
  | { readonly kind: 'secret'; readonly bytes: number }
  | { readonly kind: 'pair'; readonly pair: KeyPairKind };
