/**
 * Accounts, IAM entities and STS sessions in PostgreSQL (the tables of schema.ts, as SQLite's in
 * storage/sqlite-identity.ts). Entities are one JSON document each plus the columns lookups need;
 * names are matched and ordered through a lower-case column (IAM names ignore case; lower-cased
 * here, in JavaScript, as SQLite's adapter does, so both agree on every name), unique per account.
 * Secret access keys are stored sealed by the SecretBox and opened as they are read; session
 * tokens only as SHA-256. Writes are IdentityChanges applied by storage.ts inside its transaction.
 */
import { accessKeyOf, sessionOf, type AccessKeyRow, type SessionRow } from '../storage/identity-rows.ts';
import type pg from 'pg';
import type {
  AccessKeyRecord, GroupRecord, InlinePolicyRecord, ManagedPolicyRecord, RoleRecord, SessionRecord, UserRecord,
} from '../../domain/identity.ts';
import type { IdentityRepository } from '../../ports/identity-repository.ts';
import type { IdentityChange } from '../../ports/changes.ts';
import type { SecretBox } from '../../ports/secret-box.ts';
import { readDoc } from '../storage/sqlite-docs.ts';
import { rows, run, type Queryable } from './query.ts';

interface Doc { doc: string }
type KeyRow = AccessKeyRow;
interface InlineRow { principal_id: string; name: string; document: string }

const lc = (s: string): string => s.toLowerCase();

/** The IdentityRepository port's reads, each one statement on the pool. */
export function createPgIdentityRepository(pool: pg.Pool, box: SecretBox): IdentityRepository {
  const one = async <T>(text: string, params: readonly string[]): Promise<T | undefined> => {
    const r = (await rows<Doc>(pool, text, params))[0];
    return r ? readDoc<T>(r.doc, 'identity') : undefined;
  };
  const all = async <T>(text: string, params: readonly string[]): Promise<T[]> => (await rows<Doc>(pool, text, params)).map((r) => readDoc<T>(r.doc, 'identity'));
  const toKey = accessKeyOf(box);
  const toSession = sessionOf(box);
  const toInline = (r: InlineRow): InlinePolicyRecord => ({ principalId: r.principal_id, name: r.name, document: r.document });
  return {
    getAccount: async (id) => {
      const r = (await rows<{ account_id: string; created_at: number }>(pool, 'SELECT * FROM iam_accounts WHERE account_id = $1', [id]))[0];
      return r ? { accountId: r.account_id, createDate: r.created_at } : undefined;
    },
    listAccounts: async () => (await rows<{ account_id: string; created_at: number }>(pool, 'SELECT * FROM iam_accounts ORDER BY account_id'))
      .map((r) => ({ accountId: r.account_id, createDate: r.created_at })),
    getUser: (account, name) => one<UserRecord>('SELECT doc FROM iam_users WHERE account_id = $1 AND name_lc = $2', [account, lc(name)]),
    getUserById: (id) => one<UserRecord>('SELECT doc FROM iam_users WHERE user_id = $1', [id]),
    listUsers: (account) => all<UserRecord>('SELECT doc FROM iam_users WHERE account_id = $1 ORDER BY name_lc', [account]),
    getAccessKey: async (id) => { const r = (await rows<KeyRow>(pool, 'SELECT * FROM iam_access_keys WHERE access_key_id = $1', [id]))[0]; return r ? toKey(r) : undefined; },
    listAccessKeys: async (account, owner) =>
      (await rows<KeyRow>(pool, 'SELECT * FROM iam_access_keys WHERE account_id = $1 AND owner = $2 ORDER BY created_at, access_key_id', [account, owner])).map(toKey),
    getRole: (account, name) => one<RoleRecord>('SELECT doc FROM iam_roles WHERE account_id = $1 AND name_lc = $2', [account, lc(name)]),
    getRoleById: (id) => one<RoleRecord>('SELECT doc FROM iam_roles WHERE role_id = $1', [id]),
    listRoles: (account) => all<RoleRecord>('SELECT doc FROM iam_roles WHERE account_id = $1 ORDER BY name_lc', [account]),
    getGroup: (account, name) => one<GroupRecord>('SELECT doc FROM iam_groups WHERE account_id = $1 AND name_lc = $2', [account, lc(name)]),
    listGroups: (account) => all<GroupRecord>('SELECT doc FROM iam_groups WHERE account_id = $1 ORDER BY name_lc', [account]),
    listGroupMembers: (g) => all<UserRecord>('SELECT u.doc FROM iam_group_members m JOIN iam_users u ON u.user_id = m.user_id WHERE m.group_id = $1 ORDER BY u.name_lc', [g]),
    listGroupsForUser: (u) => all<GroupRecord>('SELECT g.doc FROM iam_group_members m JOIN iam_groups g ON g.group_id = m.group_id WHERE m.user_id = $1 ORDER BY g.name_lc', [u]),
    getInlinePolicy: async (p, name) => {
      const r = (await rows<InlineRow>(pool, 'SELECT * FROM iam_inline_policies WHERE principal_id = $1 AND name_lc = $2', [p, lc(name)]))[0];
      return r ? toInline(r) : undefined;
    },
    listInlinePolicies: async (p) => (await rows<InlineRow>(pool, 'SELECT * FROM iam_inline_policies WHERE principal_id = $1 ORDER BY name_lc', [p])).map(toInline),
    getManagedPolicy: (arn) => one<ManagedPolicyRecord>('SELECT doc FROM iam_managed_policies WHERE arn = $1', [arn]),
    getManagedPolicyByName: (account, name) => one<ManagedPolicyRecord>('SELECT doc FROM iam_managed_policies WHERE account_id = $1 AND name_lc = $2', [account, lc(name)]),
    listManagedPolicies: (account) => all<ManagedPolicyRecord>('SELECT doc FROM iam_managed_policies WHERE account_id = $1 ORDER BY name_lc', [account]),
    listAttachedPolicies: (p) =>
      all<ManagedPolicyRecord>('SELECT p.doc FROM iam_policy_attachments a JOIN iam_managed_policies p ON p.arn = a.policy_arn WHERE a.principal_id = $1 ORDER BY p.name_lc', [p]),
    countAttachments: async (arn) => (await rows<{ n: number }>(pool, 'SELECT count(*) AS n FROM iam_policy_attachments WHERE policy_arn = $1', [arn]))[0]?.n ?? 0,
    getSession: async (id) => { const r = (await rows<SessionRow>(pool, 'SELECT * FROM sts_sessions WHERE access_key_id = $1', [id]))[0]; return r ? toSession(r) : undefined; },
  };
}

/** The upsert of an entity keyed by its id with a per-account lower-case name (a rename moves the name). */
const putEntity = (table: 'iam_users' | 'iam_roles' | 'iam_groups', id: 'user_id' | 'role_id' | 'group_id'): string =>
  `INSERT INTO ${table} (${id}, account_id, name_lc, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (${id}) DO UPDATE SET doc = excluded.doc, name_lc = excluded.name_lc`;
const PUT_USER = putEntity('iam_users', 'user_id');
const PUT_ROLE = putEntity('iam_roles', 'role_id');
const PUT_GROUP = putEntity('iam_groups', 'group_id');

/** Applies one IdentityChange on the commit's connection; secrets are sealed by `box` as they are written. */
export async function applyIdentityChange(db: Queryable, box: SecretBox, c: IdentityChange): Promise<void> {
  switch (c.kind) {
    case 'addAccount':
      await run(db, 'INSERT INTO iam_accounts (account_id, created_at) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING', [c.account.accountId, c.account.createDate]);
      return;
    case 'putUser': await run(db, PUT_USER, [c.user.userId, c.user.accountId, lc(c.user.name), JSON.stringify(c.user)]); return;
    case 'deleteUser': await run(db, 'DELETE FROM iam_users WHERE user_id = $1', [c.userId]); return;
    case 'putAccessKey': {
      const k = c.key;
      await run(db, `INSERT INTO iam_access_keys (access_key_id, account_id, owner, secret, status, created_at) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (access_key_id) DO UPDATE SET status = excluded.status`,
      [k.accessKeyId, k.accountId, k.owner, box.seal(k.accessKeyId, k.secretAccessKey), k.status, k.createDate]);
      return;
    }
    case 'deleteAccessKey': await run(db, 'DELETE FROM iam_access_keys WHERE access_key_id = $1', [c.accessKeyId]); return;
    case 'putRole': await run(db, PUT_ROLE, [c.role.roleId, c.role.accountId, lc(c.role.name), JSON.stringify(c.role)]); return;
    case 'deleteRole': await run(db, 'DELETE FROM iam_roles WHERE role_id = $1', [c.roleId]); return;
    case 'putGroup': await run(db, PUT_GROUP, [c.group.groupId, c.group.accountId, lc(c.group.name), JSON.stringify(c.group)]); return;
    case 'deleteGroup': await run(db, 'DELETE FROM iam_groups WHERE group_id = $1', [c.groupId]); return;
    case 'addGroupMember': await run(db, 'INSERT INTO iam_group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [c.groupId, c.userId]); return;
    case 'removeGroupMember': await run(db, 'DELETE FROM iam_group_members WHERE group_id = $1 AND user_id = $2', [c.groupId, c.userId]); return;
    case 'putInlinePolicy':
      await run(db, `INSERT INTO iam_inline_policies (principal_id, name_lc, name, document) VALUES ($1, $2, $3, $4)
        ON CONFLICT (principal_id, name_lc) DO UPDATE SET name = excluded.name, document = excluded.document`,
      [c.policy.principalId, lc(c.policy.name), c.policy.name, c.policy.document]);
      return;
    case 'deleteInlinePolicy': await run(db, 'DELETE FROM iam_inline_policies WHERE principal_id = $1 AND name_lc = $2', [c.principalId, lc(c.name)]); return;
    case 'putManagedPolicy':
      await run(db, 'INSERT INTO iam_managed_policies (arn, account_id, name_lc, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (arn) DO UPDATE SET doc = excluded.doc, name_lc = excluded.name_lc',
        [c.policy.arn, c.policy.accountId, lc(c.policy.name), JSON.stringify(c.policy)]);
      return;
    case 'deleteManagedPolicy': await run(db, 'DELETE FROM iam_managed_policies WHERE arn = $1', [c.arn]); return;
    case 'attachPolicy': await run(db, 'INSERT INTO iam_policy_attachments (principal_id, policy_arn) VALUES ($1, $2) ON CONFLICT DO NOTHING', [c.principalId, c.policyArn]); return;
    case 'detachPolicy': await run(db, 'DELETE FROM iam_policy_attachments WHERE principal_id = $1 AND policy_arn = $2', [c.principalId, c.policyArn]); return;
    case 'putSession': {
      const x = c.session;
      await run(db, `INSERT INTO sts_sessions (access_key_id, account_id, secret, token_hash, role_id, role_name, role_arn, session_name, expiration, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [x.accessKeyId, x.accountId, box.seal(x.accessKeyId, x.secretAccessKey), x.sessionTokenHash, x.roleId, x.roleName, x.roleArn, x.sessionName, x.expiration, x.createDate]);
      return;
    }
    case 'purgeSessions': await run(db, 'DELETE FROM sts_sessions WHERE expiration < $1', [c.before]); return;
  }
}
