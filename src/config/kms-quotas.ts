/**
 * AWS KMS's request quotas (developer guide, "Request quotas"), per account and region, as the
 * defaults of Coffer's quota settings: which operations share a bucket and how many requests a
 * second each bucket allows. Data only; the server's limiter (server/request-quotas.ts) applies it.
 *
 * Where Coffer differs (it decides before it reads the key, so the key's type is not known yet):
 * Encrypt, Decrypt and ReEncrypt always count against the symmetric quota, also with an RSA key;
 * Sign, Verify and DeriveSharedSecret share one asymmetric bucket (AWS keeps one per key type: RSA,
 * ECC, ML-DSA); GenerateDataKeyPair(WithoutPlaintext) share one bucket at AWS's ECC rate whatever the
 * key pair spec (AWS: 100 for ECC, 20/4/1 for RSA 2048/3072/4096).
 */

/** "Cryptographic operations (symmetric) request rate": one bucket shared by these. */
export const SYMMETRIC_CRYPTO_OPERATIONS = [
  'Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateMac', 'GenerateRandom', 'ReEncrypt', 'VerifyMac',
] as const;

/** The asymmetric cryptographic operations, one bucket shared by these. */
export const ASYMMETRIC_CRYPTO_OPERATIONS = ['Sign', 'Verify', 'DeriveSharedSecret'] as const;

/** AWS's default rate of each management operation's own quota (requests a second). CreateKey has its own setting. */
export const MANAGEMENT_QUOTAS: Readonly<Record<string, number>> = {
  CancelKeyDeletion: 5, ConnectCustomKeyStore: 5, CreateAlias: 5, CreateCustomKeyStore: 5, CreateGrant: 50,
  DeleteAlias: 15, DeleteCustomKeyStore: 5, DeleteImportedKeyMaterial: 15, DescribeCustomKeyStores: 5, DescribeKey: 2000,
  DisableKey: 5, DisableKeyRotation: 5, DisconnectCustomKeyStore: 5, EnableKey: 5, EnableKeyRotation: 15,
  GenerateDataKeyPair: 100, GetKeyLastUsage: 5, GetKeyPolicy: 1000, GetKeyRotationStatus: 1000, GetParametersForImport: 1,
  GetPublicKey: 2000, ImportKeyMaterial: 15, ListAliases: 500, ListGrants: 100, ListKeyPolicies: 100,
  ListKeyRotations: 100, ListKeys: 500, ListResourceTags: 2000, ListRetirableGrants: 100, PutKeyPolicy: 15,
  ReplicateKey: 5, RetireGrant: 50, RevokeGrant: 50, RotateKeyOnDemand: 5, ScheduleKeyDeletion: 15,
  TagResource: 10, UntagResource: 5, UpdateAlias: 5, UpdateCustomKeyStore: 5, UpdateKeyDescription: 5,
  UpdatePrimaryRegion: 5,
};

/** Operations that count against another operation's management quota. */
const SHARES_WITH: Readonly<Record<string, string>> = { GenerateDataKeyPairWithoutPlaintext: 'GenerateDataKeyPair' };

/** COFFER_QUOTA_MANAGEMENT_RPS parsed: AWS's table or one rate for every operation, then single changes. */
export interface ManagementQuotaSetting {
  readonly base: 'aws' | number;
  readonly overrides: Readonly<Record<string, number>>;
}

export interface QuotaSettings {
  readonly crypto: number;
  readonly asymmetric: number;
  readonly createKey: number;
  readonly management: ManagementQuotaSetting;
}

/** One operation's quota: the bucket it draws from (shared by name) and that bucket's rate. */
export interface KmsQuota {
  readonly bucket: string;
  readonly perSecond: number;
}

const RATE = /^\d+(\.\d+)?$/;

/**
 * Parses `aws`, a rate, and `Operation=rate` items, comma-separated, applied in order. Returns an
 * error message (naming nothing: the caller adds the variable) or the setting.
 */
export function parseManagementQuotas(raw: string): ManagementQuotaSetting | string {
  let base: 'aws' | number = 'aws';
  const overrides: Record<string, number> = {};
  const items = raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const [i, item] of items.entries()) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      if (i !== 0) return `'${item}' must come first (only Operation=rate items may follow it)`;
      if (item === 'aws') continue;
      if (!RATE.test(item)) return `must be 'aws', a rate or Operation=rate items, got '${item}'`;
      base = Number(item);
      continue;
    }
    const op = item.slice(0, eq).trim();
    const rate = item.slice(eq + 1).trim();
    if (!Object.hasOwn(MANAGEMENT_QUOTAS, op)) return `names no management operation with a quota of its own: '${op.slice(0, 64)}'`;
    if (!RATE.test(rate)) return `needs a rate (requests a second, 0 for none) after '${op}=', got '${rate.slice(0, 32)}'`;
    overrides[op] = Number(rate);
  }
  return { base, overrides };
}

/** Operation → quota, for every KMS operation that has one (a rate of 0 means none). */
export function resolveKmsQuotas(s: QuotaSettings): ReadonlyMap<string, KmsQuota> {
  const out = new Map<string, KmsQuota>();
  const put = (op: string, bucket: string, perSecond: number): void => {
    if (perSecond > 0) out.set(op, { bucket, perSecond });
  };
  for (const op of SYMMETRIC_CRYPTO_OPERATIONS) put(op, 'crypto-symmetric', s.crypto);
  for (const op of ASYMMETRIC_CRYPTO_OPERATIONS) put(op, 'crypto-asymmetric', s.asymmetric);
  put('CreateKey', 'CreateKey', s.createKey);
  const rateOf = (op: string): number => s.management.overrides[op] ?? (s.management.base === 'aws' ? (MANAGEMENT_QUOTAS[op] ?? 0) : s.management.base);
  for (const op of Object.keys(MANAGEMENT_QUOTAS)) put(op, op, rateOf(op));
  for (const [op, bucket] of Object.entries(SHARES_WITH)) put(op, bucket, rateOf(bucket));
  return out;
}
