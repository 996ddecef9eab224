/**
 * Storage of accounts, IAM entities and STS sessions. Names are unique per account without regard
 * to case (as in IAM): lookups by name ignore case. Relationships (group membership, inline
 * policies, attachments) are keyed by the entity's unique id, so a re-created entity of the same
 * name starts with none. Every method is synchronous; `transaction` makes a sequence atomic.
 */
import type {
  AccessKeyRecord, AccountRecord, GroupRecord, InlinePolicyRecord, ManagedPolicyRecord, RoleRecord, SessionRecord, UserRecord,
} from '../domain/identity.ts';

export interface IdentityRepository {
  transaction<T>(fn: () => T): T;
  /** A number that changes after every write (caches of identity policies compare it). */
  generation(): number;

  getAccount(accountId: string): AccountRecord | undefined;
  /** Inserts the account unless it exists; returns whether it was inserted. */
  addAccount(a: AccountRecord): boolean;
  listAccounts(): AccountRecord[];

  getUser(accountId: string, name: string): UserRecord | undefined;
  getUserById(userId: string): UserRecord | undefined;
  /** Users of the account ordered by lower-case name (IAM quotas keep these lists small; operations page them). */
  listUsers(accountId: string): UserRecord[];
  /** Insert or replace (by user id). */
  putUser(u: UserRecord): void;
  deleteUser(userId: string): void;

  getAccessKey(accessKeyId: string): AccessKeyRecord | undefined;
  /** Keys of one owner (a user id, or 'root' with the account id), oldest first. */
  listAccessKeys(accountId: string, owner: string): AccessKeyRecord[];
  putAccessKey(k: AccessKeyRecord): void;
  deleteAccessKey(accessKeyId: string): void;

  getRole(accountId: string, name: string): RoleRecord | undefined;
  getRoleById(roleId: string): RoleRecord | undefined;
  /** Ordered by lower-case name. */
  listRoles(accountId: string): RoleRecord[];
  putRole(r: RoleRecord): void;
  deleteRole(roleId: string): void;

  getGroup(accountId: string, name: string): GroupRecord | undefined;
  /** Ordered by lower-case name. */
  listGroups(accountId: string): GroupRecord[];
  putGroup(g: GroupRecord): void;
  deleteGroup(groupId: string): void;
  addGroupMember(groupId: string, userId: string): void;
  removeGroupMember(groupId: string, userId: string): void;
  /** Members ordered by lower-case user name. */
  listGroupMembers(groupId: string): UserRecord[];
  /** Groups ordered by lower-case group name. */
  listGroupsForUser(userId: string): GroupRecord[];

  getInlinePolicy(principalId: string, name: string): InlinePolicyRecord | undefined;
  /** Ordered by lower-case policy name. */
  listInlinePolicies(principalId: string): InlinePolicyRecord[];
  putInlinePolicy(p: InlinePolicyRecord): void;
  deleteInlinePolicy(principalId: string, name: string): void;

  getManagedPolicy(arn: string): ManagedPolicyRecord | undefined;
  getManagedPolicyByName(accountId: string, name: string): ManagedPolicyRecord | undefined;
  /** Ordered by lower-case name. */
  listManagedPolicies(accountId: string): ManagedPolicyRecord[];
  putManagedPolicy(p: ManagedPolicyRecord): void;
  deleteManagedPolicy(arn: string): void;
  attachPolicy(principalId: string, policyArn: string): void;
  detachPolicy(principalId: string, policyArn: string): void;
  /** Attached policies of a user, role or group, ordered by lower-case name. */
  listAttachedPolicies(principalId: string): ManagedPolicyRecord[];
  countAttachments(policyArn: string): number;

  getSession(accessKeyId: string): SessionRecord | undefined;
  putSession(s: SessionRecord): void;
  /** Deletes sessions that expired before `before` (epoch ms); returns how many. */
  purgeSessions(before: number): number;
}
