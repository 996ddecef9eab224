/**
 * One request's view of accounts, IAM entities and STS sessions: reads go to the committed state
 * (the IdentityRepository port); writes are recorded in the request's change set and stored only
 * when the pipeline commits it with the call's audit record.
 */
import type {
  AccessKeyRecord, AccountRecord, GroupRecord, InlinePolicyRecord, ManagedPolicyRecord, RoleRecord, SessionRecord, UserRecord,
} from '../domain/identity.ts';
import type { IdentityRepository } from '../ports/identity-repository.ts';
import type { IdentityChange } from '../ports/changes.ts';
import type { UnitOfWork } from './key-session.ts';

export class IdentitySession implements IdentityRepository {
  constructor(private readonly repo: IdentityRepository, private readonly uow: UnitOfWork) {}

  private record(c: IdentityChange): void {
    this.uow.changes.push(c);
  }

  // ---- reads: the committed state
  getAccount(accountId: string): Promise<AccountRecord | undefined> { return this.repo.getAccount(accountId); }
  listAccounts(): Promise<AccountRecord[]> { return this.repo.listAccounts(); }
  getUser(accountId: string, name: string): Promise<UserRecord | undefined> { return this.repo.getUser(accountId, name); }
  getUserById(userId: string): Promise<UserRecord | undefined> { return this.repo.getUserById(userId); }
  listUsers(accountId: string): Promise<UserRecord[]> { return this.repo.listUsers(accountId); }
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> { return this.repo.getAccessKey(accessKeyId); }
  listAccessKeys(accountId: string, owner: string): Promise<AccessKeyRecord[]> { return this.repo.listAccessKeys(accountId, owner); }
  getRole(accountId: string, name: string): Promise<RoleRecord | undefined> { return this.repo.getRole(accountId, name); }
  getRoleById(roleId: string): Promise<RoleRecord | undefined> { return this.repo.getRoleById(roleId); }
  listRoles(accountId: string): Promise<RoleRecord[]> { return this.repo.listRoles(accountId); }
  getGroup(accountId: string, name: string): Promise<GroupRecord | undefined> { return this.repo.getGroup(accountId, name); }
  listGroups(accountId: string): Promise<GroupRecord[]> { return this.repo.listGroups(accountId); }
  listGroupMembers(groupId: string): Promise<UserRecord[]> { return this.repo.listGroupMembers(groupId); }
  listGroupsForUser(userId: string): Promise<GroupRecord[]> { return this.repo.listGroupsForUser(userId); }
  getInlinePolicy(principalId: string, name: string): Promise<InlinePolicyRecord | undefined> { return this.repo.getInlinePolicy(principalId, name); }
  listInlinePolicies(principalId: string): Promise<InlinePolicyRecord[]> { return this.repo.listInlinePolicies(principalId); }
  getManagedPolicy(arn: string): Promise<ManagedPolicyRecord | undefined> { return this.repo.getManagedPolicy(arn); }
  getManagedPolicyByName(accountId: string, name: string): Promise<ManagedPolicyRecord | undefined> { return this.repo.getManagedPolicyByName(accountId, name); }
  listManagedPolicies(accountId: string): Promise<ManagedPolicyRecord[]> { return this.repo.listManagedPolicies(accountId); }
  listAttachedPolicies(principalId: string): Promise<ManagedPolicyRecord[]> { return this.repo.listAttachedPolicies(principalId); }
  countAttachments(policyArn: string): Promise<number> { return this.repo.countAttachments(policyArn); }
  getSession(accessKeyId: string): Promise<SessionRecord | undefined> { return this.repo.getSession(accessKeyId); }

  // ---- writes: recorded for the commit
  addAccount(account: AccountRecord): void { this.record({ kind: 'addAccount', account }); }
  putUser(user: UserRecord): void { this.record({ kind: 'putUser', user }); }
  deleteUser(userId: string): void { this.record({ kind: 'deleteUser', userId }); }
  putAccessKey(key: AccessKeyRecord): void { this.record({ kind: 'putAccessKey', key }); }
  deleteAccessKey(accessKeyId: string): void { this.record({ kind: 'deleteAccessKey', accessKeyId }); }
  putRole(role: RoleRecord): void { this.record({ kind: 'putRole', role }); }
  deleteRole(roleId: string): void { this.record({ kind: 'deleteRole', roleId }); }
  putGroup(group: GroupRecord): void { this.record({ kind: 'putGroup', group }); }
  deleteGroup(groupId: string): void { this.record({ kind: 'deleteGroup', groupId }); }
  addGroupMember(groupId: string, userId: string): void { this.record({ kind: 'addGroupMember', groupId, userId }); }
  removeGroupMember(groupId: string, userId: string): void { this.record({ kind: 'removeGroupMember', groupId, userId }); }
  putInlinePolicy(policy: InlinePolicyRecord): void { this.record({ kind: 'putInlinePolicy', policy }); }
  deleteInlinePolicy(principalId: string, name: string): void { this.record({ kind: 'deleteInlinePolicy', principalId, name }); }
  putManagedPolicy(policy: ManagedPolicyRecord): void { this.record({ kind: 'putManagedPolicy', policy }); }
  deleteManagedPolicy(arn: string): void { this.record({ kind: 'deleteManagedPolicy', arn }); }
  attachPolicy(principalId: string, policyArn: string): void { this.record({ kind: 'attachPolicy', principalId, policyArn }); }
  detachPolicy(principalId: string, policyArn: string): void { this.record({ kind: 'detachPolicy', principalId, policyArn }); }
  putSession(session: SessionRecord): void { this.record({ kind: 'putSession', session }); }
  purgeSessions(before: number): void { this.record({ kind: 'purgeSessions', before }); }
}
