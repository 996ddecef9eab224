/**
 * Storage of accounts, IAM entities and STS sessions. Names are unique per account without regard
 * to case (as in IAM): lookups by name ignore case. Relationships (group membership, inline
 * policies, attachments) are keyed by the entity's unique id, so a re-created entity of the same
 * name starts with none. Reads are asynchronous; writes are changes (ports/changes.ts) that
 * `Storage.commit` applies atomically with the call's audit record.
 */
import type {
  AccessKeyRecord, AccountRecord, GroupRecord, InlinePolicyRecord, ManagedPolicyRecord, RoleRecord, SessionRecord, UserRecord,
} from '../domain/identity.ts';

export interface IdentityRepository {
  getAccount(accountId: string): Promise<AccountRecord | undefined>;
  listAccounts(): Promise<AccountRecord[]>;

  getUser(accountId: string, name: string): Promise<UserRecord | undefined>;
  getUserById(userId: string): Promise<UserRecord | undefined>;
  /** Users of the account ordered by lower-case name (IAM quotas keep these lists small; operations page them). */
  listUsers(accountId: string): Promise<UserRecord[]>;

  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  /** Keys of one owner (a user id, or 'root' with the account id), oldest first. */
  listAccessKeys(accountId: string, owner: string): Promise<AccessKeyRecord[]>;

  getRole(accountId: string, name: string): Promise<RoleRecord | undefined>;
  getRoleById(roleId: string): Promise<RoleRecord | undefined>;
  /** Ordered by lower-case name. */
  listRoles(accountId: string): Promise<RoleRecord[]>;

  getGroup(accountId: string, name: string): Promise<GroupRecord | undefined>;
  /** Ordered by lower-case name. */
  listGroups(accountId: string): Promise<GroupRecord[]>;
  /** Members ordered by lower-case user name. */
  listGroupMembers(groupId: string): Promise<UserRecord[]>;
  /** Groups ordered by lower-case group name. */
  listGroupsForUser(userId: string): Promise<GroupRecord[]>;

  getInlinePolicy(principalId: string, name: string): Promise<InlinePolicyRecord | undefined>;
  /** Ordered by lower-case policy name. */
  listInlinePolicies(principalId: string): Promise<InlinePolicyRecord[]>;

  getManagedPolicy(arn: string): Promise<ManagedPolicyRecord | undefined>;
  getManagedPolicyByName(accountId: string, name: string): Promise<ManagedPolicyRecord | undefined>;
  /** Ordered by lower-case name. */
  listManagedPolicies(accountId: string): Promise<ManagedPolicyRecord[]>;
  /** Attached policies of a user, role or group, ordered by lower-case name. */
  listAttachedPolicies(principalId: string): Promise<ManagedPolicyRecord[]>;
  countAttachments(policyArn: string): Promise<number>;

  getSession(accessKeyId: string): Promise<SessionRecord | undefined>;
}
