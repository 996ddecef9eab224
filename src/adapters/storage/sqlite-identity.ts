/**
 * The IdentityRepository in the data folder's SQLite database (the handle `openDatabase` returns).
 * Entities are one JSON document each plus the columns lookups need; names are matched through a
 * lower-case column (IAM names ignore case). Secret access keys (SigV4 needs them) are stored
 * sealed under the key store (ports/secret-box.ts); session tokens only as SHA-256.
 */
import type Database from 'better-sqlite3';
import type {
  AccessKeyRecord, GroupRecord, InlinePolicyRecord, ManagedPolicyRecord, RoleRecord, SessionRecord, UserRecord,
} from '../../domain/identity.ts';
import type { IdentityRepository } from '../../ports/identity-repository.ts';
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
interface KeyRow { access_key_id: string; account_id: string; owner: string; secret: string; status: string; created_at: number }
interface SessionRow {
  access_key_id: string; account_id: string; secret: string; token_hash: Buffer; role_id: string; role_name: string;
  role_arn: string; session_name: string; expiration: number; created_at: number;
}

function parse<T>(row: Doc | undefined): T | undefined {
  return row ? (JSON.parse(row.doc) as T) : undefined;
}
const all = <T>(rows: Doc[]): T[] => rows.map((r) => JSON.parse(r.doc) as T);
const lc = (s: string): string => s.toLowerCase();

/** Secret access keys are stored sealed by `box` (see ports/secret-box.ts), never in the clear. */
export function createSqliteIdentityRepository(db: Database.Database, box: SecretBox): IdentityRepository {
  db.exec(SCHEMA);
  const toKey = (r: KeyRow): AccessKeyRecord => ({
    accessKeyId: r.access_key_id, accountId: r.account_id, owner: r.owner, secretAccessKey: box.open(r.access_key_id, r.secret),
    status: r.status === 'Inactive' ? 'Inactive' : 'Active', createDate: r.created_at,
  });
  const toSession = (r: SessionRow): SessionRecord => ({
    accessKeyId: r.access_key_id, accountId: r.account_id, secretAccessKey: box.open(r.access_key_id, r.secret), sessionTokenHash: r.token_hash,
    roleId: r.role_id, roleName: r.role_name, roleArn: r.role_arn, sessionName: r.session_name, expiration: r.expiration, createDate: r.created_at,
  });
  const q = {
    getAccount: db.prepare<[string], { account_id: string; created_at: number }>('SELECT * FROM iam_accounts WHERE account_id = ?'),
    addAccount: db.prepare('INSERT INTO iam_accounts (account_id, created_at) VALUES (?, ?) ON CONFLICT(account_id) DO NOTHING'),
    listAccounts: db.prepare<[], { account_id: string; created_at: number }>('SELECT * FROM iam_accounts ORDER BY account_id'),

    getUser: db.prepare<[string, string], Doc>('SELECT doc FROM iam_users WHERE account_id = ? AND name_lc = ?'),
    getUserById: db.prepare<[string], Doc>('SELECT doc FROM iam_users WHERE user_id = ?'),
    listUsers: db.prepare<[string], Doc>('SELECT doc FROM iam_users WHERE account_id = ? ORDER BY name_lc'),
    putUser: db.prepare('INSERT INTO iam_users (user_id, account_id, name_lc, doc) VALUES (?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET doc = excluded.doc'),
    deleteUser: db.prepare('DELETE FROM iam_users WHERE user_id = ?'),

    getKey: db.prepare<[string], KeyRow>('SELECT * FROM iam_access_keys WHERE access_key_id = ?'),
    listKeys: db.prepare<[string, string], KeyRow>('SELECT * FROM iam_access_keys WHERE account_id = ? AND owner = ? ORDER BY created_at, access_key_id'),
    putKey: db.prepare('INSERT INTO iam_access_keys (access_key_id, account_id, owner, secret, status, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(access_key_id) DO UPDATE SET status = excluded.status'),
    deleteKey: db.prepare('DELETE FROM iam_access_keys WHERE access_key_id = ?'),

    getRole: db.prepare<[string, string], Doc>('SELECT doc FROM iam_roles WHERE account_id = ? AND name_lc = ?'),
    getRoleById: db.prepare<[string], Doc>('SELECT doc FROM iam_roles WHERE role_id = ?'),
    listRoles: db.prepare<[string], Doc>('SELECT doc FROM iam_roles WHERE account_id = ? ORDER BY name_lc'),
    putRole: db.prepare('INSERT INTO iam_roles (role_id, account_id, name_lc, doc) VALUES (?, ?, ?, ?) ON CONFLICT(role_id) DO UPDATE SET doc = excluded.doc'),
    deleteRole: db.prepare('DELETE FROM iam_roles WHERE role_id = ?'),

    getGroup: db.prepare<[string, string], Doc>('SELECT doc FROM iam_groups WHERE account_id = ? AND name_lc = ?'),
    listGroups: db.prepare<[string], Doc>('SELECT doc FROM iam_groups WHERE account_id = ? ORDER BY name_lc'),
    putGroup: db.prepare('INSERT INTO iam_groups (group_id, account_id, name_lc, doc) VALUES (?, ?, ?, ?) ON CONFLICT(group_id) DO UPDATE SET doc = excluded.doc'),
    deleteGroup: db.prepare('DELETE FROM iam_groups WHERE group_id = ?'),
    addMember: db.prepare('INSERT INTO iam_group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    removeMember: db.prepare('DELETE FROM iam_group_members WHERE group_id = ? AND user_id = ?'),
    members: db.prepare<[string], Doc>('SELECT u.doc FROM iam_group_members m JOIN iam_users u ON u.user_id = m.user_id WHERE m.group_id = ? ORDER BY u.name_lc'),
    groupsOf: db.prepare<[string], Doc>('SELECT g.doc FROM iam_group_members m JOIN iam_groups g ON g.group_id = m.group_id WHERE m.user_id = ? ORDER BY g.name_lc'),

    getInline: db.prepare<[string, string], { principal_id: string; name: string; document: string }>('SELECT * FROM iam_inline_policies WHERE principal_id = ? AND name_lc = ?'),
    listInline: db.prepare<[string], { principal_id: string; name: string; document: string }>('SELECT * FROM iam_inline_policies WHERE principal_id = ? ORDER BY name_lc'),
    putInline: db.prepare('INSERT INTO iam_inline_policies (principal_id, name_lc, name, document) VALUES (?, ?, ?, ?) ON CONFLICT(principal_id, name_lc) DO UPDATE SET name = excluded.name, document = excluded.document'),
    deleteInline: db.prepare('DELETE FROM iam_inline_policies WHERE principal_id = ? AND name_lc = ?'),

    getPolicy: db.prepare<[string], Doc>('SELECT doc FROM iam_managed_policies WHERE arn = ?'),
    getPolicyByName: db.prepare<[string, string], Doc>('SELECT doc FROM iam_managed_policies WHERE account_id = ? AND name_lc = ?'),
    listPolicies: db.prepare<[string], Doc>('SELECT doc FROM iam_managed_policies WHERE account_id = ? ORDER BY name_lc'),
    putPolicy: db.prepare('INSERT INTO iam_managed_policies (arn, account_id, name_lc, doc) VALUES (?, ?, ?, ?) ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc'),
    deletePolicy: db.prepare('DELETE FROM iam_managed_policies WHERE arn = ?'),
    attach: db.prepare('INSERT INTO iam_policy_attachments (principal_id, policy_arn) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    detach: db.prepare('DELETE FROM iam_policy_attachments WHERE principal_id = ? AND policy_arn = ?'),
    attached: db.prepare<[string], Doc>('SELECT p.doc FROM iam_policy_attachments a JOIN iam_managed_policies p ON p.arn = a.policy_arn WHERE a.principal_id = ? ORDER BY p.name_lc'),
    countAttachments: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM iam_policy_attachments WHERE policy_arn = ?'),

    getSession: db.prepare<[string], SessionRow>('SELECT * FROM sts_sessions WHERE access_key_id = ?'),
    putSession: db.prepare('INSERT INTO sts_sessions (access_key_id, account_id, secret, token_hash, role_id, role_name, role_arn, session_name, expiration, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    purgeSessions: db.prepare('DELETE FROM sts_sessions WHERE expiration < ?'),
  };

  // Every write moves the generation, committed or not: a spurious change only costs a cache refill.
  let generation = 0;
  const write = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A): void => { generation++; fn(...a); };

  return {
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    generation: () => generation,

    getAccount: (id) => { const r = q.getAccount.get(id); return r ? { accountId: r.account_id, createDate: r.created_at } : undefined; },
    addAccount: (a) => q.addAccount.run(a.accountId, a.createDate).changes > 0,
    listAccounts: () => q.listAccounts.all().map((r) => ({ accountId: r.account_id, createDate: r.created_at })),

    getUser: (account, name) => parse<UserRecord>(q.getUser.get(account, lc(name))),
    getUserById: (id) => parse<UserRecord>(q.getUserById.get(id)),
    listUsers: (account) => all<UserRecord>(q.listUsers.all(account)),
    putUser: write((u) => { q.putUser.run(u.userId, u.accountId, lc(u.name), JSON.stringify(u)); }),
    deleteUser: write((id) => { q.deleteUser.run(id); }),

    getAccessKey: (id) => { const r = q.getKey.get(id); return r ? toKey(r) : undefined; },
    listAccessKeys: (account, owner) => q.listKeys.all(account, owner).map(toKey),
    putAccessKey: write((k) => { q.putKey.run(k.accessKeyId, k.accountId, k.owner, box.seal(k.accessKeyId, k.secretAccessKey), k.status, k.createDate); }),
    deleteAccessKey: write((id) => { q.deleteKey.run(id); }),

    getRole: (account, name) => parse<RoleRecord>(q.getRole.get(account, lc(name))),
    getRoleById: (id) => parse<RoleRecord>(q.getRoleById.get(id)),
    listRoles: (account) => all<RoleRecord>(q.listRoles.all(account)),
    putRole: write((r) => { q.putRole.run(r.roleId, r.accountId, lc(r.name), JSON.stringify(r)); }),
    deleteRole: write((id) => { q.deleteRole.run(id); }),

    getGroup: (account, name) => parse<GroupRecord>(q.getGroup.get(account, lc(name))),
    listGroups: (account) => all<GroupRecord>(q.listGroups.all(account)),
    putGroup: write((g) => { q.putGroup.run(g.groupId, g.accountId, lc(g.name), JSON.stringify(g)); }),
    deleteGroup: write((id) => { q.deleteGroup.run(id); }),
    addGroupMember: write((g, u) => { q.addMember.run(g, u); }),
    removeGroupMember: write((g, u) => { q.removeMember.run(g, u); }),
    listGroupMembers: (g) => all<UserRecord>(q.members.all(g)),
    listGroupsForUser: (u) => all<GroupRecord>(q.groupsOf.all(u)),

    getInlinePolicy: (p, name) => {
      const r = q.getInline.get(p, lc(name));
      return r ? { principalId: r.principal_id, name: r.name, document: r.document } : undefined;
    },
    listInlinePolicies: (p): InlinePolicyRecord[] => q.listInline.all(p).map((r) => ({ principalId: r.principal_id, name: r.name, document: r.document })),
    putInlinePolicy: write((p) => { q.putInline.run(p.principalId, lc(p.name), p.name, p.document); }),
    deleteInlinePolicy: write((p, name) => { q.deleteInline.run(p, lc(name)); }),

    getManagedPolicy: (arn) => parse<ManagedPolicyRecord>(q.getPolicy.get(arn)),
    getManagedPolicyByName: (account, name) => parse<ManagedPolicyRecord>(q.getPolicyByName.get(account, lc(name))),
    listManagedPolicies: (account) => all<ManagedPolicyRecord>(q.listPolicies.all(account)),
    putManagedPolicy: write((p) => { q.putPolicy.run(p.arn, p.accountId, lc(p.name), JSON.stringify(p)); }),
    deleteManagedPolicy: write((arn) => { q.deletePolicy.run(arn); }),
    attachPolicy: write((p, arn) => { q.attach.run(p, arn); }),
    detachPolicy: write((p, arn) => { q.detach.run(p, arn); }),
    listAttachedPolicies: (p) => all<ManagedPolicyRecord>(q.attached.all(p)),
    countAttachments: (arn) => q.countAttachments.get(arn)?.n ?? 0,

    getSession: (id) => { const r = q.getSession.get(id); return r ? toSession(r) : undefined; },
    putSession: (s) => {
      q.putSession.run(s.accessKeyId, s.accountId, box.seal(s.accessKeyId, s.secretAccessKey), s.sessionTokenHash, s.roleId, s.roleName, s.roleArn, s.sessionName, s.expiration, s.createDate);
    },
    purgeSessions: (before) => q.purgeSessions.run(before).changes,
  };
}
