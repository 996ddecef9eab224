/**
 * The key-store boundary: the only place key material is in the clear. It keeps material by
 * reference and performs operations with it (domain/key-operation.ts), handing back results, never
 * the material: the software store keeps a root key from a seal and domain keys under it and works
 * in process; a PKCS#11 store will keep the same contract with the material inside a token.
 */
import type { KeyOperation, KeyOperationResult, MaterialSpec } from '../domain/key-operation.ts';

export interface WrappedMaterial {
  readonly domainKeyId: string;
  readonly wrapped: Buffer;
}

/** One version of a key's material, as storage keeps it: whose it is, its id, and how the store holds it. */
export interface MaterialRef extends WrappedMaterial {
  readonly keyArn: string;
  readonly materialId: string;
}

/**
 * What else a store seals: the parameters of an import token (bound to the key ARN and the token
 * id) or Coffer's own secrets (the audit signing key). The AAD differs from key material's, so one
 * never opens as another.
 */
export type SealPurpose = 'key-material' | 'import-token';

export interface KeyStore {
  /** New material for `keyArn`'s version `materialId`: a secret, or a key pair (its public key returned, SPKI DER). */
  generate(keyArn: string, materialId: string, spec: MaterialSpec): Promise<{ readonly wrapped: WrappedMaterial; readonly publicKey?: Buffer }>;
  /** Material made elsewhere (imported): held from now on; the caller zeroes its copy. */
  hold(keyArn: string, materialId: string, plaintext: Buffer): Promise<WrappedMaterial>;
  /** The same material held for another key too (a multi-Region replica). */
  copy(from: MaterialRef, toKeyArn: string): Promise<WrappedMaterial>;
  /** Performs `op` with the material; what a failing operation throws is a CryptoError. */
  perform<O extends KeyOperation>(ref: MaterialRef, op: O): Promise<KeyOperationResult<O>>;
  /** Seals a secret that is not key material (the caller zeroes its copy). */
  seal(owner: string, id: string, plaintext: Buffer, purpose: SealPurpose): Promise<WrappedMaterial>;
  /** Opens what `seal` sealed; the caller zeroes the result. */
  unseal(owner: string, id: string, sealed: WrappedMaterial, purpose: SealPurpose): Promise<Buffer>;
  /** Drops what the store keeps of a removed version (its cached plaintext, zeroed). */
  forget(keyArn: string, materialId?: string): void;
  close(): void;
}
