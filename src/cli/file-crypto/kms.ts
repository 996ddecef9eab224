/**
 * The KMS side of `coffer encrypt|decrypt`: the AWS SDK's `KMS` client (as the ESDK ships it)
 * pointed at Coffer, with the endpoint, region, profile and credentials resolved as the AWS CLI
 * resolves them, and a client provider for the ESDK's KMS keyrings that remembers the AWS error a
 * call failed with: the ESDK folds KMS errors into its own message text, and a script wants the
 * AWS error name (AccessDeniedException, DisabledException, …).
 */
import type { KMS, KmsNodeClientSupplier } from '@aws-crypto/kms-keyring-node';
import { kmsClientConfig, type AwsOptions, type Env } from '../kms-client.ts';

export type { AwsOptions, Env };

/** One failed KMS call: the AWS error name (the KMS error code) and its message. */
export interface KmsFailure {
  readonly operation: string;
  readonly name: string;
  readonly message: string;
}

export interface CofferKms {
  /** For the ESDK's KMS keyrings: a client per region (a key ARN's region, else the configured one). */
  readonly clientProvider: KmsNodeClientSupplier;
  /** The KMS calls that failed so far, oldest first. */
  readonly failures: KmsFailure[];
  /** A key id, alias name or alias ARN resolved to its key ARN (DescribeKey); a key ARN as it is. */
  keyArn(keyId: string): Promise<string>;
}

const KEY_ARN = /^arn:[^:]+:kms:[^:]*:\d{12}:key\//;

/** `Kms`: the SDK's KMS class (the caller loads the ESDK lazily); the client settings: kms-client.ts. */
export function cofferKms(Kms: typeof KMS, opts: AwsOptions, env: Env): CofferKms {
  const clients = new Map<string, KMS>();
  const failures: KmsFailure[] = [];
  const client = (region: string): KMS => {
    const config = kmsClientConfig(opts, env, region);
    const cacheKey = config.region ?? '';
    let kms = clients.get(cacheKey);
    if (kms === undefined) {
      kms = new Kms(config);
      clients.set(cacheKey, kms);
    }
    return kms;
  };
  const recorded = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      failures.push({ operation, name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) });
      throw e;
    }
  };
  const clientProvider: KmsNodeClientSupplier = (region: string) => {
    const kms = client(region);
    return {
      generateDataKey: (args) => recorded('GenerateDataKey', async () => present(await kms.generateDataKey(args))),
      encrypt: (args) => recorded('Encrypt', async () => present(await kms.encrypt(args))),
      decrypt: (args) => recorded('Decrypt', async () => present(await kms.decrypt(args))),
    };
  };
  const regionOf = (id: string): string => (id.startsWith('arn:') ? id.split(':')[3] ?? '' : '');
  return {
    clientProvider,
    failures,
    keyArn: async (keyId) => {
      if (KEY_ARN.test(keyId)) return keyId;
      const out = await recorded('DescribeKey', () => client(regionOf(keyId)).describeKey({ KeyId: keyId }));
      const arn = out.KeyMetadata?.Arn;
      if (arn === undefined) throw new Error(`DescribeKey of ${keyId} answered no key ARN`);
      return arn;
    },
  };
}

/** The KeyId, Plaintext and CiphertextBlob of an SDK answer, each only if present (the ESDK checks their types). */
function present(out: { KeyId?: string | undefined; Plaintext?: Uint8Array | undefined; CiphertextBlob?: Uint8Array | undefined }): { KeyId?: string; Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array } {
  return {
    ...(out.KeyId !== undefined ? { KeyId: out.KeyId } : {}),
    ...(out.Plaintext !== undefined ? { Plaintext: out.Plaintext } : {}),
    ...(out.CiphertextBlob !== undefined ? { CiphertextBlob: out.CiphertextBlob } : {}),
  };
}
