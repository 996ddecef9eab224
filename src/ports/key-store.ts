/**
 * The key-store boundary: the only place key material is in the clear. The software store keeps
 * a root key from a seal and domain keys under it; a PKCS#11 store will keep the same contract
 * with the material inside a token.
 */
export interface WrappedMaterial {
  readonly domainKeyId: string;
  readonly wrapped: Buffer;
}

export interface KeyStore {
  /** Fresh random key material of `bytes` length, returned wrapped, with a plaintext copy the caller must zero. */
  generate(keyArn: string, materialId: string, bytes: number): { wrapped: WrappedMaterial; plaintext: Buffer };
  /** Wraps key material made elsewhere (a PKCS#8 private key); the caller zeroes its plaintext. */
  wrap(keyArn: string, materialId: string, plaintext: Buffer): WrappedMaterial;
  unwrap(keyArn: string, materialId: string, wrapped: WrappedMaterial): Buffer;
  close(): void;
}
