/**
 * The key-store boundary: the only place key material is in the clear. The software store keeps
 * a root key from a seal and domain keys under it; a PKCS#11 store will keep the same contract
 * with the material inside a token.
 */
export interface WrappedMaterial {
  readonly domainKeyId: string;
  readonly wrapped: Buffer;
}

/**
 * What a wrapped secret is: KMS key material (bound to its key ARN and material id) or the sealed
 * parameters of an import token (bound to the key ARN and the token id). The AAD differs, so one
 * never opens as the other.
 */
export type WrapPurpose = 'key-material' | 'import-token';

export interface KeyStore {
  /** Fresh random key material of `bytes` length, returned wrapped, with a plaintext copy the caller must zero. */
  generate(keyArn: string, materialId: string, bytes: number): { wrapped: WrappedMaterial; plaintext: Buffer };
  /**
   * Wraps a secret made elsewhere (a PKCS#8 private key, imported material, import parameters);
   * the caller zeroes its plaintext. `id` is the material id or the import token id.
   */
  wrap(keyArn: string, id: string, plaintext: Buffer, purpose?: WrapPurpose): WrappedMaterial;
  unwrap(keyArn: string, id: string, wrapped: WrappedMaterial, purpose?: WrapPurpose): Buffer;
  close(): void;
}
