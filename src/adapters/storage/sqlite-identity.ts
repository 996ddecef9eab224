/**
 * The IdentityRepository in the data folder's SQLite database (the handle `openDatabase` returns).
 * Entities are one JSON document each plus the columns lookups need; names are matched through a
 * lower-case column (IAM names ignore case). Secret access keys (SigV4 needs them) are stored
 * sealed under the key store (ports/secret-box.ts); session tokens only as SHA-256.
 */
import { accessKeyOf, sessionOf, type AccessKeyRow, type SessionRow } from './identity-rows.ts';
import type Database from 'better-sqlite3';
import type {
  AccessKeyRecord, AccountRecord, GroupRecord, InlinePolicyRecord, ManagedPolicyRecord, RoleRecord, SessionRecord, UserRecord,
} from '../../domain/identity.ts';
import type { IdentityRepository } from '../../ports/identity-repository.ts';
import type { IdentityChange } from '../../ports/changes.ts';
import { readDoc } from './sqlite-docs.ts';
import type { SecretBox } from '../../ports/secret-box.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS iam_accounts (account_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS iam_users (
  user_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name_lc TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, name_lc));
CREATE TABLE IF NOT EXISTS iam_access_keys (
  access_key_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, owner TEXT NOT NULL, secret TEXT NOT NULL,
  status TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS iam_access_keys_by_owner ON iam_access_keys (account_id, owner, created_at);
CREATE TABLE IF NOT EXISTS iam_roles (
  role_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name_lc TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, name_lc));
CREATE TABLE IF NOT EXISTS iam_groups (
  group_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name_lc TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, name_lc));
CREATE TABLE IF NOT EXISTS iam_group_members (
  group_id TEXT NOT NULL REFERENCES iam_groups(group_id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES iam_users(user_id) ON DELETE CASCADE, PRIMARY KEY (group_id, user_id));
CREATE INDEX IF NOT EXISTS iam_group_members_by_user ON iam_group_members (user_id);
CREATE TABLE IF NOT EXISTS iam_inline_policies (
  principal_id TEXT NOT NULL, name_lc TEXT NOT NULL, name TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (principal_id, name_lc));
CREATE TABLE IF NOT EXISTS iam_managed_policies (
  arn TEXT PRIMARY KEY, account_id TEXT NOT NULL, name_lc TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, name_lc));
CREATE TABLE IF NOT EXISTS iam_policy_attachments (
  principal_id TEXT NOT NULL, policy_arn TEXT NOT NULL REFERENCES iam_managed_policies(arn),
  PRIMARY KEY (principal_id, policy_arn));
CREATE INDEX IF NOT EXISTS iam_policy_attachments_by_policy ON iam_policy_attachments (policy_arn);
CREATE TABLE IF NOT EXISTS sts_sessions (
  access_key_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, secret TEXT NOT NULL, token_hash BLOB NOT NULL,
  role_id TEXT NOT NULL, role_name TEXT NOT NULL, role_arn TEXT NOT NULL, session_name TEXT NOT NULL,
  expiration INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sts_sessions_by_expiration ON sts_sessions (expiration);
`;

interface Doc { doc: string }
type KeyRow = AccessKeyRow;

function parse<T>(row: Doc | undefined): T | undefined {
  return row ? readDoc<T>(row.doc, 'identity') : undefined;
}
const all = <T>(rows: Doc[]): T[] => rows.map((r) => readDoc<T>(r.doc, 'identity'));
const lc = (s: string): string => s.toLowerCase();

/** The IdentityRepository port's reads. Secret access keys are opened from their seal (ports/secret-box.ts) as they are read. */
export function createSqliteIdentityRepository(db: Database.Database, box: SecretBox): IdentityRepository {
  db.exec(SCHEMA);
  const toKey = accessKeyOf(box);
  const toSession = sessionOf(box);
  const q = {
    getAccount: db.prepare<[string], { account_id: string; created_at: number }>('SELECT * FROM iam_accounts WHERE account_id = ?'),
    listAccounts: db.prepare<[], { account_id: string; created_at: number }>('SELECT * FROM iam_accounts ORDER BY account_id'),
    getUser: db.prepare<[string, string], Doc>('SELECT doc FROM iam_users WHERE account_id = ? AND name_lc = ?'),
    getUserById: db.prepare<[string], Doc>('SELECT doc FROM iam_users WHERE user_id = ?'),
    listUsers: db.prepare<[string], Doc>('SELECT doc FROM iam_users WHERE account_id = ? ORDER BY name_lc'),
    getKey: db.prepare<[string], KeyRow>('SELECT * FROM iam_access_keys WHERE access_key_id = ?'),
    listKeys: db.prepare<[string, string], KeyRow>('SELECT * FROM iam_access_keys WHERE account_id = ? AND owner = ? ORDER BY created_at, access_key_id'),
    getRole: db.prepare<[string, string], Doc>('SELECT doc FROM iam_roles WHERE account_id = ? AND name_lc = ?'),
    getRoleById: db.prepare<[string], Doc>('SELECT doc FROM iam_roles WHERE role_id = ?'),
    listRoles: db.prepare<[string], Doc>('SELECT doc FROM iam_roles WHERE account_id = ? ORDER BY name_lc'),
    getGroup: db.prepare<[string, string], Doc>('SELECT doc FROM iam_groups WHERE account_id = ? AND name_lc = ?'),
    listGroups: db.prepare<[string], Doc>('SELECT doc FROM iam_groups WHERE account_id = ? ORDER BY name_lc'),
    members: db.prepare<[string], Doc>('SELECT u.doc FROM iam_group_members m JOIN iam_users u ON u.user_id = m.user_id WHERE m.group_id = ? ORDER BY u.name_lc'),
    groupsOf: db.prepare<[string], Doc>('SELECT g.doc FROM iam_group_members m JOIN iam_groups g ON g.group_id = m.group_id WHERE m.user_id = ? ORDER BY g.name_lc'),
    getInline: db.prepare<[string, string], { principal_id: string; name: string; document: string }>('SELECT * FROM iam_inline_policies WHERE principal_id = ? AND name_lc = ?'),
    listInline: db.prepare<[string], { principal_id: string; name: string; document: string }>('SELECT * FROM iam_inline_policies WHERE principal_id = ? ORDER BY name_lc'),
    getPolicy: db.prepare<[string], Doc>('SELECT doc FROM iam_managed_policies WHERE arn = ?'),
    getPolicyByName: db.prepare<[string, string], Doc>('SELECT doc FROM iam_managed_policies WHERE account_id = ? AND name_lc = ?'),
    listPolicies: db.prepare<[string], Doc>('SELECT doc FROM iam_managed_policies WHERE account_id = ? ORDER BY name_lc'),
    attached: db.prepare<[string], Doc>('SELECT p.doc FROM iam_policy_attachments a JOIN iam_managed_policies p ON p.arn = a.policy_arn WHERE a.principal_id = ? ORDER BY p.name_lc'),
    countAttachments: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM iam_policy_attachments WHERE policy_arn = ?'),
    getSession: db.prepare<[string], SessionRow>('SELECT * FROM sts_sessions WHERE access_key_id = ?'),
  };
  return {
    getAccount: async (id) => { const r = q.getAccount.get(id); return r ? { accountId: r.account_id, createDate: r.created_at } : undefined; },
    listAccounts: async () => q.listAccounts.all().map((r) => ({ accountId: r.account_id, createDate: r.created_at })),
    getUser: async (account, name) => parse<UserRecord>(q.getUser.get(account, lc(name))),
    getUserById: async (id) => parse<UserRecord>(q.getUserById.get(id)),
    listUsers: async (account) => all<UserRecord>(q.listUsers.all(account)),
    getAccessKey: async (id) => { const r = q.getKey.get(id); return r ? toKey(r) : undefined; },
    listAccessKeys: async (account, owner) => q.listKeys.all(account, owner).map(toKey),
    getRole: async (account, name) => parse<RoleRecord>(q.getRole.get(account, lc(name))),
    getRoleById: async (id) => parse<RoleRecord>(q.getRoleById.get(id)),
    listRoles: async (account) => all<RoleRecord>(q.listRoles.all(account)),
    getGroup: async (account, name) => parse<GroupRecord>(q.getGroup.get(account, lc(name))),
    listGroups: async (account) => all<GroupRecord>(q.listGroups.all(account)),
    listGroupMembers: async (g) => all<UserRecord>(q.members.all(g)),
    listGroupsForUser: async (u) => all<GroupRecord>(q.groupsOf.all(u)),
    getInlinePolicy: async (p, name) => {
      const r = q.getInline.get(p, lc(name));
      return r ? { principalId: r.principal_id, name: r.name, document: r.document } : undefined;
    },
    listInlinePolicies: async (p): Promise<InlinePolicyRecord[]> => q.listInline.all(p).map((r) => ({ principalId: r.principal_id, name: r.name, document: r.document })),
    getManagedPolicy: async (arn) => parse<ManagedPolicyRecord>(q.getPolicy.get(arn)),
    getManagedPolicyByName: async (account, name) => parse<ManagedPolicyRecord>(q.getPolicyByName.get(account, lc(name))),
    listManagedPolicies: async (account) => all<ManagedPolicyRecord>(q.listPolicies.all(account)),
    listAttachedPolicies: async (p) => all<ManagedPolicyRecord>(q.attached.all(p)),
    countAttachments: async (arn) => q.countAttachments.get(arn)?.n ?? 0,
    getSession: async (id) => { const r = q.getSession.get(id); return r ? toSession(r) : undefined; },
  };
}

/** Applies one IdentityChange inside the commit's transaction; secrets are sealed by `box` as they are written. */
export function identityChangeApplier(db: Database.Database, box: SecretBox): (c: IdentityChange) => void {
  db.exec(SCHEMA);
  const q = {
    addAccount: db.prepare('INSERT INTO iam_accounts (account_id, created_at) VALUES (?, ?) ON CONFLICT(account_id) DO NOTHING'),
    putUser: db.prepare('INSERT INTO iam_users (user_id, account_id, name_lc, doc) VALUES (?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET doc = excluded.doc, name_lc = excluded.name_lc'),
    deleteUser: db.prepare('DELETE FROM iam_users WHERE user_id = ?'),
    putKey: db.prepare('INSERT INTO iam_access_keys (access_key_id, account_id, owner, secret, status, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(access_key_id) DO UPDATE SET status = excluded.status'),
    deleteKey: db.prepare('DELETE FROM iam_access_keys WHERE access_key_id = ?'),
    putRole: db.prepare('INSERT INTO iam_roles (role_id, account_id, name_lc, doc) VALUES (?, ?, ?, ?) ON CONFLICT(role_id) DO UPDATE SET doc = excluded.doc, name_lc = excluded.name_lc'),
    deleteRole: db.prepare('DELETE FROM iam_roles WHERE role_id = ?'),
    putGroup: db.prepare('INSERT INTO iam_groups (group_id, account_id, name_lc, doc) VALUES (?, ?, ?, ?) ON CONFLICT(group_id) DO UPDATE SET doc = excluded.doc, name_lc = excluded.name_lc'),
    deleteGroup: db.prepare('DELETE FROM iam_groups WHERE group_id = ?'),
    addMember: db.prepare('INSERT INTO iam_group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    removeMember: db.prepare('DELETE FROM iam_group_members WHERE group_id = ? AND user_id = ?'),
    putInline: db.prepare('INSERT INTO iam_inline_policies (principal_id, name_lc, name, document) VALUES (?, ?, ?, ?) ON CONFLICT(principal_id, name_lc) DO UPDATE SET name = excluded.name, document = excluded.document'),
    deleteInline: db.prepare('DELETE FROM iam_inline_policies WHERE principal_id = ? AND name_lc = ?'),
    putPolicy: db.prepare('INSERT INTO iam_managed_policies (arn, account_id, name_lc, doc) VALUES (?, ?, ?, ?) ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc, name_lc = excluded.name_lc'),
    deletePolicy: db.prepare('DELETE FROM iam_managed_policies WHERE arn = ?'),
    attach: db.prepare('INSERT INTO iam_policy_attachments (principal_id, policy_arn) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    detach: db.prepare('DELETE FROM iam_policy_attachments WHERE principal_id = ? AND policy_arn = ?'),
    putSession: db.prepare('INSERT INTO sts_sessions (access_key_id, account_id, secret, token_hash, role_id, role_name, role_arn, session_name, expiration, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    purgeSessions: db.prepare('DELETE FROM sts_sessions WHERE expiration < ?'),
  };
  return (c) => {
    switch (c.kind) {
      case 'addAccount': q.addAccount.run(c.account.accountId, c.account.createDate); return;
      case 'putUser': q.putUser.run(c.user.userId, c.user.accountId, lc(c.user.name), JSON.stringify(c.user)); return;
      case 'deleteUser': q.deleteUser.run(c.userId); return;
      case 'putAccessKey': {
        const k = c.key;
        q.putKey.run(k.accessKeyId, k.accountId, k.owner, box.seal(k.accessKeyId, k.secretAccessKey), k.status, k.createDate);
        return;
      }
      case 'deleteAccessKey': q.deleteKey.run(c.accessKeyId); return;
      case 'putRole': q.putRole.run(c.role.roleId, c.role.accountId, lc(c.role.name), JSON.stringify(c.role)); return;
      case 'deleteRole': q.deleteRole.run(c.roleId); return;
      case 'putGroup': q.putGroup.run(c.group.groupId, c.group.accountId, lc(c.group.name), JSON.stringify(c.group)); return;
      case 'deleteGroup': q.deleteGroup.run(c.groupId); return;
      case 'addGroupMember': q.addMember.run(c.groupId, c.userId); return;
      case 'removeGroupMember': q.removeMember.run(c.groupId, c.userId); return;
      case 'putInlinePolicy': q.putInline.run(c.policy.principalId, lc(c.policy.name), c.policy.name, c.policy.document); return;
      case 'deleteInlinePolicy': q.deleteInline.run(c.principalId, lc(c.name)); return;
      case 'putManagedPolicy': q.putPolicy.run(c.policy.arn, c.policy.accountId, lc(c.policy.name), JSON.stringify(c.policy)); return;
      case 'deleteManagedPolicy': q.deletePolicy.run(c.arn); return;
      case 'attachPolicy': q.attach.run(c.principalId, c.policyArn); return;
      case 'detachPolicy': q.detach.run(c.principalId, c.policyArn); return;
      case 'putSession': {
        const x = c.session;
        q.putSession.run(x.accessKeyId, x.accountId, box.seal(x.accessKeyId, x.secretAccessKey), x.sessionTokenHash, x.roleId, x.roleName, x.roleArn, x.sessionName, x.expiration, x.createDate);
        return;
      }
      case 'purgeSessions': q.purgeSessions.run(c.before); return;
    }
  };
}

/**
 * The identity tables' rows as a copy to another backend enumerates them (`migrate-storage`, on a
 * stopped server). Sealed secrets are not read here: access keys and sessions are listed by id, to
 * be read (and opened) through the repository.
 */
export function sqliteIdentityTables(db: Database.Database): {
  accounts(): AccountRecord[]; users(): UserRecord[]; roles(): RoleRecord[]; groups(): GroupRecord[];
  members(): { groupId: string; userId: string }[]; inlinePolicies(): InlinePolicyRecord[]; managedPolicies(): ManagedPolicyRecord[];
  attachments(): { principalId: string; policyArn: string }[]; accessKeyIds(): string[];
  /** STS sessions that expire at `notBefore` or later. */
  sessionIds(notBefore: number): string[];
} {
  db.exec(SCHEMA);
  const docs = <T>(table: 'iam_users' | 'iam_roles' | 'iam_groups' | 'iam_managed_policies'): T[] =>
    // The table is one of these four names, never input.
    all<T>(db.prepare<[], Doc>(`SELECT doc FROM ${table} ORDER BY rowid`).all());
  return {
    accounts: () => db.prepare<[], { account_id: string; created_at: number }>('SELECT * FROM iam_accounts ORDER BY account_id').all()
      .map((r) => ({ accountId: r.account_id, createDate: r.created_at })),
    users: () => docs<UserRecord>('iam_users'),
    roles: () => docs<RoleRecord>('iam_roles'),
    groups: () => docs<GroupRecord>('iam_groups'),
    members: () => db.prepare<[], { group_id: string; user_id: string }>('SELECT * FROM iam_group_members ORDER BY group_id, user_id').all()
      .map((r) => ({ groupId: r.group_id, userId: r.user_id })),
    inlinePolicies: () => db.prepare<[], { principal_id: string; name: string; document: string }>('SELECT * FROM iam_inline_policies ORDER BY principal_id, name_lc').all()
      .map((r) => ({ principalId: r.principal_id, name: r.name, document: r.document })),
    managedPolicies: () => docs<ManagedPolicyRecord>('iam_managed_policies'),
    attachments: () => db.prepare<[], { principal_id: string; policy_arn: string }>('SELECT * FROM iam_policy_attachments ORDER BY principal_id, policy_arn').all()
      .map((r) => ({ principalId: r.principal_id, policyArn: r.policy_arn })),
    accessKeyIds: () => db.prepare<[], { id: string }>('SELECT access_key_id AS id FROM iam_access_keys ORDER BY created_at, access_key_id').all().map((r) => r.id),
    sessionIds: (notBefore) => db.prepare<[number], { id: string }>('SELECT access_key_id AS id FROM sts_sessions WHERE expiration >= ? ORDER BY access_key_id').all(notBefore).map((r) => r.id),
  };
}
