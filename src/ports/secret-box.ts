/**
 * Seals the secrets Coffer must keep to verify SigV4 (IAM access keys' and STS sessions' secret
 * access keys): stored sealed under the key store, opened only in memory.
 */
export interface SecretBox {
  /** `id` (the access key id) is bound to the sealed value: one key's secret never opens as another's. */
  seal(id: string, secret: string): string;
  open(id: string, sealed: string): string;
}
