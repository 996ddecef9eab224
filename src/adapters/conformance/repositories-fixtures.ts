/**
 * The records the repository conformance cases commit and expect back: small, complete, and with
 * no undefined member (a stored document reads back without one), so that what a case puts is
 * exactly what it may expect to read.
 */
import type { KeyRecord, MaterialRecord } from '../../domain/key.ts';
import type { GrantRecord } from '../../domain/grant.ts';
import {
  groupArn, policyArn, roleArn, userArn,
  type AccessKeyRecord, type GroupRecord, type ManagedPolicyRecord, type RoleRecord, type SessionRecord, type UserRecord,
} from '../../domain/identity.ts';
import type { AliasRecord, KeyRepository } from '../../ports/key-repository.ts';
import type { IdentityRepository } from '../../ports/identity-repository.ts';
import type { Storage } from '../../ports/storage.ts';
import type { ClusterRepository } from '../../ports/cluster-repository.ts';
import type { CustomKeyStoreRepository } from '../../ports/custom-key-store-repository.ts';

/** A fresh, empty store of one adapter, and how to dispose of it. */
export interface RepositoryFixture {
  readonly keys: KeyRepository;
  readonly identities: IdentityRepository;
  readonly storage: Storage;
  readonly clusters: ClusterRepository;
  readonly customKeyStores: CustomKeyStoreRepository;
  close(): Promise<void> | void;
}

/**
 * A behaviour an adapter is known to get wrong today: its cases still run for that adapter, as
 * node:test `todo`s (reported, not failing the run), until the adapter is fixed.
 */
export type KnownGap = 'renames';

export interface RepositoryOptions {
  /** The gaps of this adapter, each with what is wrong. */
  readonly knownGaps?: Partial<Readonly<Record<KnownGap, string>>>;
  /** Why the adapter cannot run here (its server is not installed): every case is reported skipped. */
  readonly skip?: string | undefined;
}

/** One case: a name, what it does with a fresh store's ports, and the gap it shows if an adapter has one. */
export type Case = (name: string, body: (keys: KeyRepository, storage: Storage, identities: IdentityRepository) => Promise<void>, gap?: KnownGap) => void;

export const ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';

export const keyArn = (keyId: string, region = 'us-east-1', accountId = ACCOUNT): string => `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
export const materialId = (n: number): string => n.toString(16).padStart(64, '0');

export function key(keyId: string, over: Partial<KeyRecord> = {}, region = 'us-east-1', accountId = ACCOUNT): KeyRecord {
  return {
    arn: keyArn(keyId, region, accountId), keyId, accountId, region, creationDate: 1, description: '', keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', multiRegion: false, state: 'Enabled', rotation: { enabled: false, periodDays: 365 },
    onDemandRotations: 0, currentMaterialId: materialId(1), policy: '{"Version":"2012-10-17","Statement":[]}', tags: [], ...over,
  };
}

export const material = (keyArnOf: string, n: number, createdAt: number): MaterialRecord => ({
  keyArn: keyArnOf, materialId: materialId(n), domainKeyId: 'dk-1', wrapped: Buffer.from(`wrapped ${keyArnOf} ${n}`), createdAt,
});

export const alias = (name: string, targetKeyArn: string, region = 'us-east-1', accountId = ACCOUNT): AliasRecord => ({
  accountId, region, name, targetKeyArn, creationDate: 10, lastUpdatedDate: 10,
});

/** Grant `n` (its id sorts by n; its creationDate is n, to tell grants apart in assertions). */
export function grant(n: number, keyArnOf: string, retiringPrincipal?: string): GrantRecord {
  return {
    grantId: materialId(n), keyArn: keyArnOf, creationDate: n, granteePrincipal: `arn:aws:iam::${ACCOUNT}:user/grantee`,
    issuingAccount: `arn:aws:iam::${ACCOUNT}:root`, operations: ['Encrypt', 'Decrypt'],
    ...(retiringPrincipal !== undefined ? { retiringPrincipal } : {}),
  };
}

export const user = (userId: string, name: string, accountId = ACCOUNT): UserRecord => ({
  accountId, userId, name, path: '/', arn: userArn(accountId, '/', name), createDate: 1, tags: [],
});

export const role = (roleId: string, name: string, accountId = ACCOUNT): RoleRecord => ({
  accountId, roleId, name, path: '/', arn: roleArn(accountId, '/', name), createDate: 1, trustPolicy: '{}', maxSessionDuration: 3600, tags: [],
});

export const group = (groupId: string, name: string, accountId = ACCOUNT): GroupRecord => ({
  accountId, groupId, name, path: '/', arn: groupArn(accountId, '/', name), createDate: 1,
});

export const managedPolicy = (policyId: string, name: string, accountId = ACCOUNT): ManagedPolicyRecord => ({
  accountId, policyId, name, path: '/', arn: policyArn(accountId, '/', name), document: `{"Sid":"${name}"}`, defaultVersionId: 'v1',
  createDate: 1, updateDate: 1, tags: [],
});

export const accessKey = (accessKeyId: string, owner: string, createDate: number, accountId = ACCOUNT): AccessKeyRecord => ({
  accessKeyId, accountId, owner, secretAccessKey: `secret-of-${accessKeyId}`, status: 'Active', createDate,
});

export const session = (accessKeyId: string, expiration: number): SessionRecord => ({
  accessKeyId, accountId: ACCOUNT, secretAccessKey: `secret-of-${accessKeyId}`, sessionTokenHash: Buffer.alloc(32, accessKeyId.length),
  roleId: 'AROAROLE', roleName: 'r', roleArn: roleArn(ACCOUNT, '/', 'r'), sessionName: 's', expiration, createDate: 1,
});
