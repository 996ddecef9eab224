/**
 * A validated seed (COFFER_SEED_FILE): what parse.ts reads from the file, in the shape apply.ts
 * applies. Everything here has passed the checks the API would make (the KMS model's enums and
 * lengths, key policies, IAM policies, tags, alias names, grant operations), so applying it can
 * fail only on the state it meets (a key id with other material, an access key of another owner).
 * `at` is the item's place in the file (`keys[1]`, line 12) for the messages start-up prints.
 */
import type { GrantConstraints } from '../domain/grant.ts';
import type { KeySpec, KeyUsage } from '../domain/key-specs.ts';

export interface SeedPlace {
  /** `keys[1]`, `users[0].accessKeys[1]`: the item's path in the file. */
  readonly path: string;
  readonly line: number;
}

export interface SeedAccessKey {
  readonly at: SeedPlace;
  readonly accessKeyId: string;
  /** Secret: never in a message, a log or an audit record. */
  readonly secretAccessKey: string;
}

export interface SeedAccount {
  readonly at: SeedPlace;
  readonly accountId: string;
  /** Fixed credentials of the account's root. */
  readonly rootAccessKey?: SeedAccessKey;
}

export interface SeedPolicy {
  readonly at: SeedPlace;
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  readonly description?: string;
  /** The policy JSON as stored (canonical: what the file gave, serialized once). */
  readonly document: string;
}

export interface SeedUser {
  readonly at: SeedPlace;
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  readonly accessKeys: readonly SeedAccessKey[];
  readonly inlinePolicies: readonly { readonly name: string; readonly document: string }[];
  /** ARNs of the managed policies to attach (a seed policy's name is resolved to its ARN). */
  readonly attachedPolicies: readonly string[];
}

export interface SeedGrant {
  readonly at: SeedPlace;
  readonly name?: string;
  readonly granteePrincipal: string;
  readonly retiringPrincipal?: string;
  readonly operations: readonly string[];
  readonly constraints?: GrantConstraints;
}

/** Fixed key material: the bytes the key store holds (symmetric or HMAC bytes, or a PKCS#8 DER private key). */
export interface SeedMaterial {
  /** Secret: zeroed once applied; never in a message. */
  readonly bytes: Buffer;
}

export interface SeedKey {
  readonly at: SeedPlace;
  readonly keyId: string;
  readonly accountId: string;
  readonly region: string;
  readonly keySpec: KeySpec;
  readonly keyUsage: KeyUsage;
  /** Absent: '' for a new key, unchanged for an existing one. */
  readonly description?: string;
  readonly enabled: boolean;
  readonly material?: SeedMaterial;
  /** Absent: the default key policy for a new key, unchanged for an existing one. */
  readonly policy?: string;
  readonly tags: readonly { readonly TagKey: string; readonly TagValue: string }[];
  readonly aliases: readonly string[];
  readonly grants: readonly SeedGrant[];
}

export interface Seed {
  readonly file: string;
  readonly accounts: readonly SeedAccount[];
  readonly policies: readonly SeedPolicy[];
  readonly users: readonly SeedUser[];
  readonly keys: readonly SeedKey[];
}

/** A seed that cannot be read or applied: the message names the file, the line and the field. */
export class SeedError extends Error {
  override readonly name = 'SeedError';
}

/** Bounds of a seed file, so a mistaken file cannot stall start-up. */
export const SEED_LIMITS = {
  fileBytes: 1024 * 1024,
  accounts: 100,
  policies: 1000,
  users: 1000,
  keys: 10_000,
  accessKeysPerUser: 2,
  inlinePoliciesPerUser: 50,
  attachedPoliciesPerUser: 10,
  aliasesPerKey: 50,
  grantsPerKey: 100,
  tagsPerKey: 50,
} as const;

/** Zeroes every fixed material of the seed (after it was applied, or when start-up stops). */
export function zeroSeedMaterial(seed: Seed): void {
  for (const k of seed.keys) k.material?.bytes.fill(0);
}
