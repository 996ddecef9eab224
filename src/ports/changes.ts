/**
 * A change set: the writes one request (or one scheduler pass) makes, as data. Operations record
 * them through the services while they run; the pipeline hands the whole set, with the call's audit
 * record, to `Storage.commit`, which applies it in one transaction; only then do the caches learn
 * of it. Each change says what to store, never how: every storage adapter applies the same set.
 */
import type { KeyRecord, MaterialRecord } from '../domain/key.ts';
import type { GrantRecord } from '../domain/grant.ts';
import type {
  AccessKeyRecord, AccountRecord, GroupRecord, InlinePolicyRecord, ManagedPolicyRecord, RoleRecord, SessionRecord, UserRecord,
} from '../domain/identity.ts';
import type { AliasRecord, KeyUsageRecord } from './key-repository.ts';
import type { ClusterRecord } from '../domain/cluster.ts';
import type { CustomKeyStoreRecord } from '../domain/custom-key-store.ts';

export type KeyChange =
  /**
   * Store a key's record. With `expectRevision` the write is conditional: 0 inserts a key that must
   * not exist yet, n > 0 replaces the record only while its stored revision is n (the record put
   * carries the next one); otherwise the commit fails with StorageConflict. Without it (a copy
   * between backends, a test) the record is stored as it is.
   */
  | { readonly kind: 'putKey'; readonly key: KeyRecord; readonly expectRevision?: number }
  /** Remove a key with every material, alias, grant and usage record that refers to it. */
  | { readonly kind: 'deleteKey'; readonly arn: string }
  | { readonly kind: 'putMaterial'; readonly material: MaterialRecord }
  | { readonly kind: 'deleteMaterial'; readonly keyArn: string; readonly materialId: string }
  /** `expect: 'absent'` (CreateAlias) or `'present'` (UpdateAlias): otherwise StorageConflict; absent: an upsert. */
  | { readonly kind: 'putAlias'; readonly alias: AliasRecord; readonly expect?: 'absent' | 'present' }
  | { readonly kind: 'deleteAlias'; readonly accountId: string; readonly region: string; readonly name: string }
  | { readonly kind: 'putGrant'; readonly grant: GrantRecord }
  | { readonly kind: 'deleteGrant'; readonly grant: GrantRecord }
  /** Last-usage records (newer than what is stored wins; a deleted key's are dropped). */
  | { readonly kind: 'putUsage'; readonly records: readonly KeyUsageRecord[] }
  | { readonly kind: 'setMeta'; readonly name: string; readonly value: string };

export type IdentityChange =
  | { readonly kind: 'addAccount'; readonly account: AccountRecord }
  | { readonly kind: 'putUser'; readonly user: UserRecord }
  | { readonly kind: 'deleteUser'; readonly userId: string }
  | { readonly kind: 'putAccessKey'; readonly key: AccessKeyRecord }
  | { readonly kind: 'deleteAccessKey'; readonly accessKeyId: string }
  | { readonly kind: 'putRole'; readonly role: RoleRecord }
  | { readonly kind: 'deleteRole'; readonly roleId: string }
  | { readonly kind: 'putGroup'; readonly group: GroupRecord }
  | { readonly kind: 'deleteGroup'; readonly groupId: string }
  | { readonly kind: 'addGroupMember'; readonly groupId: string; readonly userId: string }
  | { readonly kind: 'removeGroupMember'; readonly groupId: string; readonly userId: string }
  | { readonly kind: 'putInlinePolicy'; readonly policy: InlinePolicyRecord }
  | { readonly kind: 'deleteInlinePolicy'; readonly principalId: string; readonly name: string }
  | { readonly kind: 'putManagedPolicy'; readonly policy: ManagedPolicyRecord }
  | { readonly kind: 'deleteManagedPolicy'; readonly arn: string }
  | { readonly kind: 'attachPolicy'; readonly principalId: string; readonly policyArn: string }
  | { readonly kind: 'detachPolicy'; readonly principalId: string; readonly policyArn: string }
  | { readonly kind: 'putSession'; readonly session: SessionRecord }
  /** Removes STS sessions that expired before `before` (epoch ms). */
  | { readonly kind: 'purgeSessions'; readonly before: number };

export type ClusterChange =
  /**
   * Store a cluster's record (with its HSMs). `expectRevision` as putKey's: 0 creates a cluster
   * that must not exist, n > 0 replaces it only while its stored revision is n; otherwise the
   * commit fails with StorageConflict.
   */
  | { readonly kind: 'putCluster'; readonly cluster: ClusterRecord; readonly expectRevision?: number }
  /** Forget a DELETED cluster whose record was visible long enough. */
  | { readonly kind: 'purgeCluster'; readonly clusterId: string };

export type CustomKeyStoreChange =
  /**
   * Store a custom key store's record. `expectRevision` as putKey's: 0 creates a store that must
   * not exist, n > 0 replaces it only while its stored revision is n; otherwise StorageConflict.
   */
  | { readonly kind: 'putCustomKeyStore'; readonly store: CustomKeyStoreRecord; readonly expectRevision?: number }
  /** Remove a custom key store (DeleteCustomKeyStore); `expectRevision` as above. */
  | { readonly kind: 'deleteCustomKeyStore'; readonly id: string; readonly expectRevision?: number };

export const isCustomKeyStoreChange = (c: Change): c is CustomKeyStoreChange => c.kind === 'putCustomKeyStore' || c.kind === 'deleteCustomKeyStore';

export type Change = KeyChange | IdentityChange | ClusterChange | CustomKeyStoreChange;

/** The change set of one request (or one scheduler pass), shared by its sessions and committed by the pipeline. */
export interface UnitOfWork {
  readonly changes: Change[];
}
