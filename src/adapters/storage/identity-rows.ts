/**
 * Rows of the IAM tables that hold secrets (access keys, STS sessions), as the SQL stores keep them
 * (SQLite, PostgreSQL: the same columns), read back as the port's records: the secret access key
 * opened from its sealed column with the SecretBox, bound to its access key id.
 */
import type { AccessKeyRecord, SessionRecord } from '../../domain/identity.ts';
import type { SecretBox } from '../../ports/secret-box.ts';

export interface AccessKeyRow { access_key_id: string; account_id: string; owner: string; secret: string; status: string; created_at: number }
export interface SessionRow {
  access_key_id: string; account_id: string; secret: string; token_hash: Buffer; role_id: string; role_name: string;
  role_arn: string; session_name: string; expiration: number; created_at: number;
}

export const accessKeyOf = (box: SecretBox) => (r: AccessKeyRow): AccessKeyRecord => ({
  accessKeyId: r.access_key_id, accountId: r.account_id, owner: r.owner, secretAccessKey: box.open(r.access_key_id, r.secret),
  status: r.status === 'Inactive' ? 'Inactive' : 'Active', createDate: r.created_at,
});

export const sessionOf = (box: SecretBox) => (r: SessionRow): SessionRecord => ({
  accessKeyId: r.access_key_id, accountId: r.account_id, secretAccessKey: box.open(r.access_key_id, r.secret), sessionTokenHash: r.token_hash,
  roleId: r.role_id, roleName: r.role_name, roleArn: r.role_arn, sessionName: r.session_name, expiration: r.expiration, createDate: r.created_at,
});
