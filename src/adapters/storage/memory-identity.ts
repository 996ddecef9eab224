/**
 * The IdentityRepository in memory, with the SQLite adapter's semantics (sqlite-identity.ts):
 * names unique per account and matched without regard to case, lists in lower-case name order,
 * group memberships removed with their user or group, a managed policy refused while attached.
 * Secret access keys are kept as given, not sealed (SQLite seals them with the key store's
 * SecretBox): this adapter is for tests and as a reference, never for production.
 */
import { StorageConflict } from '../../errors/storage-conflict.ts';
import type { IdentityChange } from '../../ports/changes.ts';
import type { IdentityRepository } from '../../ports/identity-repository.ts';
import type { SessionRecord } from '../../domain/identity.ts';
import { compareBinary, ConstraintError, doc, pair, type Draft, type Tables } from './memory-tables.ts';

const lc = (s: string): string => s.toLowerCase();

interface Named { readonly accountId: string; readonly name: string }

const byName = <T extends { readonly name: string }>(a: T, b: T): number => compareBinary(lc(a.name), lc(b.name));
const sortedByName = <T extends { readonly name: string }>(items: Iterable<T>): T[] => [...items].sort(byName);
const inAccount = <T extends Named>(items: Iterable<T>, accountId: string): T[] => sortedByName([...items].filter((x) => x.accountId === accountId));
const named = <T extends Named>(items: Iterable<T>, accountId: string, name: string): T | undefined => {
  for (const x of items) if (x.accountId === accountId && lc(x.name) === lc(name)) return x;
  return undefined;
};
const copySession = (s: SessionRecord): SessionRecord => ({ ...s, sessionTokenHash: Buffer.from(s.sessionTokenHash) });

/** The pairs of `set` (see `pair`) with `id` on one side, as [first, second]. */
function pairsWith(set: ReadonlySet<string>, id: string, side: 0 | 1): [string, string][] {
  return [...set].map((p) => p.split('\n') as [string, string]).filter((p) => p[side] === id);
}

export function memoryIdentityRepository(tables: () => Tables): IdentityRepository {
  return {
    getAccount: async (id) => tables().accounts.get(id),
    listAccounts: async () => [...tables().accounts.values()].sort((a, b) => compareBinary(a.accountId, b.accountId)),
    getUser: async (accountId, name) => named(tables().users.values(), accountId, name),
    getUserById: async (id) => tables().users.get(id),
    listUsers: async (accountId) => inAccount(tables().users.values(), accountId),
    getAccessKey: async (id) => tables().accessKeys.get(id),
    listAccessKeys: async (accountId, owner) => [...tables().accessKeys.values()]
      .filter((k) => k.accountId === accountId && k.owner === owner)
      .sort((a, b) => a.createDate - b.createDate || compareBinary(a.accessKeyId, b.accessKeyId)),
    getRole: async (accountId, name) => named(tables().roles.values(), accountId, name),
    getRoleById: async (id) => tables().roles.get(id),
    listRoles: async (accountId) => inAccount(tables().roles.values(), accountId),
    getGroup: async (accountId, name) => named(tables().groups.values(), accountId, name),
    listGroups: async (accountId) => inAccount(tables().groups.values(), accountId),
    listGroupMembers: async (groupId) => {
      const t = tables();
      return sortedByName(pairsWith(t.members, groupId, 0).flatMap(([, u]) => t.users.get(u) ?? []));
    },
    listGroupsForUser: async (userId) => {
      const t = tables();
      return sortedByName(pairsWith(t.members, userId, 1).flatMap(([g]) => t.groups.get(g) ?? []));
    },
    getInlinePolicy: async (principalId, name) => tables().inlinePolicies.get(pair(principalId, lc(name))),
    listInlinePolicies: async (principalId) => sortedByName([...tables().inlinePolicies.values()].filter((p) => p.principalId === principalId)),
    getManagedPolicy: async (arn) => tables().managedPolicies.get(arn),
    getManagedPolicyByName: async (accountId, name) => named(tables().managedPolicies.values(), accountId, name),
    listManagedPolicies: async (accountId) => inAccount(tables().managedPolicies.values(), accountId),
    listAttachedPolicies: async (principalId) => {
      const t = tables();
      return sortedByName(pairsWith(t.attachments, principalId, 0).flatMap(([, arn]) => t.managedPolicies.get(arn) ?? []));
    },
    countAttachments: async (arn) => pairsWith(tables().attachments, arn, 1).length,
    getSession: async (id) => { const s = tables().sessions.get(id); return s ? copySession(s) : undefined; },
  };
}

/** Refuses a second entity of the same name (ignoring case) in the account, as SQLite's unique index does. */
function requireUniqueName<T extends Named>(items: ReadonlyMap<string, T>, id: string, entity: T, what: string): void {
  const other = named(items.values(), entity.accountId, entity.name);
  if (other !== undefined && items.get(id) !== other) throw new StorageConflict(`another ${what} of account ${entity.accountId} is named ${entity.name}`);
}

/** Removes every pair of `set` that has `id` on the given side (a cascade). */
function dropPairs(d: Draft, table: 'members' | 'attachments', id: string, side: 0 | 1): void {
  const gone = pairsWith(d.read[table], id, side);
  if (gone.length === 0) return;
  const w = d.write(table);
  for (const [a, b] of gone) w.delete(pair(a, b));
}

/** Applies one IdentityChange to a commit's draft (sqlite-identity.ts's identityChangeApplier, in memory). */
export function applyIdentityChange(d: Draft, c: IdentityChange): void {
  switch (c.kind) {
    case 'addAccount':
      if (!d.read.accounts.has(c.account.accountId)) d.write('accounts').set(c.account.accountId, { ...c.account });
      return;
    case 'putUser':
      requireUniqueName(d.read.users, c.user.userId, c.user, 'user');
      d.write('users').set(c.user.userId, doc(c.user));
      return;
    case 'deleteUser':
      if (d.write('users').delete(c.userId)) dropPairs(d, 'members', c.userId, 1);
      return;
    case 'putAccessKey': {
      const old = d.read.accessKeys.get(c.key.accessKeyId);
      // As SQLite's upsert: an existing key changes only its status.
      d.write('accessKeys').set(c.key.accessKeyId, old ? { ...old, status: c.key.status } : { ...c.key });
      return;
    }
    case 'deleteAccessKey': d.write('accessKeys').delete(c.accessKeyId); return;
    case 'putRole':
      requireUniqueName(d.read.roles, c.role.roleId, c.role, 'role');
      d.write('roles').set(c.role.roleId, doc(c.role));
      return;
    case 'deleteRole': d.write('roles').delete(c.roleId); return;
    case 'putGroup':
      requireUniqueName(d.read.groups, c.group.groupId, c.group, 'group');
      d.write('groups').set(c.group.groupId, doc(c.group));
      return;
    case 'deleteGroup':
      if (d.write('groups').delete(c.groupId)) dropPairs(d, 'members', c.groupId, 0);
      return;
    case 'addGroupMember': {
      const p = pair(c.groupId, c.userId);
      if (d.read.members.has(p)) return;
      if (!d.read.groups.has(c.groupId) || !d.read.users.has(c.userId)) throw new ConstraintError(`group ${c.groupId} or user ${c.userId} does not exist`);
      d.write('members').add(p);
      return;
    }
    case 'removeGroupMember': d.write('members').delete(pair(c.groupId, c.userId)); return;
    case 'putInlinePolicy': d.write('inlinePolicies').set(pair(c.policy.principalId, lc(c.policy.name)), { ...c.policy }); return;
    case 'deleteInlinePolicy': d.write('inlinePolicies').delete(pair(c.principalId, lc(c.name))); return;
    case 'putManagedPolicy':
      requireUniqueName(d.read.managedPolicies, c.policy.arn, c.policy, 'managed policy');
      d.write('managedPolicies').set(c.policy.arn, doc(c.policy));
      return;
    case 'deleteManagedPolicy':
      if (pairsWith(d.read.attachments, c.arn, 1).length > 0) throw new ConstraintError(`policy ${c.arn} is still attached`);
      d.write('managedPolicies').delete(c.arn);
      return;
    case 'attachPolicy': {
      const p = pair(c.principalId, c.policyArn);
      if (d.read.attachments.has(p)) return;
      if (!d.read.managedPolicies.has(c.policyArn)) throw new ConstraintError(`policy ${c.policyArn} does not exist`);
      d.write('attachments').add(p);
      return;
    }
    case 'detachPolicy': d.write('attachments').delete(pair(c.principalId, c.policyArn)); return;
    case 'putSession':
      if (d.read.sessions.has(c.session.accessKeyId)) throw new ConstraintError(`session ${c.session.accessKeyId} exists`);
      d.write('sessions').set(c.session.accessKeyId, copySession(c.session));
      return;
    case 'purgeSessions': {
      const expired = [...d.read.sessions.values()].filter((s) => s.expiration < c.before);
      if (expired.length === 0) return;
      const w = d.write('sessions');
      for (const s of expired) w.delete(s.accessKeyId);
      return;
    }
  }
}
