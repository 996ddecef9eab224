/**
 * Identities: accounts, IAM users with their access keys, roles (with trust policies), groups,
 * inline and customer managed policies, and STS role sessions. Records only, with the identifier
 * and ARN formats AWS uses; rules live in the operations, storage behind IdentityRepository.
 *
 * Secrets: an access key's secret is kept (SigV4 verification needs the secret itself); a session
 * token is kept only as its SHA-256.
 */
import { createHash, randomBytes } from 'node:crypto';

export const PARTITION = 'aws';

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

export interface AccountRecord {
  readonly accountId: string;
  readonly createDate: number;
}

export interface UserRecord {
  readonly accountId: string;
  /** AIDA… */
  readonly userId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly createDate: number;
  readonly tags: readonly Tag[];
}

export type AccessKeyStatus = 'Active' | 'Inactive';

export interface AccessKeyRecord {
  /** AKIA… */
  readonly accessKeyId: string;
  readonly accountId: string;
  /** The owning user's id (AIDA…), or 'root' for the account root's keys. */
  readonly owner: string;
  readonly secretAccessKey: string;
  readonly status: AccessKeyStatus;
  readonly createDate: number;
}

export interface RoleRecord {
  readonly accountId: string;
  /** AROA… */
  readonly roleId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly createDate: number;
  /** The trust policy (AssumeRolePolicyDocument) as given. */
  readonly trustPolicy: string;
  readonly description?: string;
  /** Seconds, 3600..43200. */
  readonly maxSessionDuration: number;
  readonly tags: readonly Tag[];
}

export interface GroupRecord {
  readonly accountId: string;
  /** AGPA… */
  readonly groupId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly createDate: number;
}

export interface ManagedPolicyRecord {
  readonly accountId: string;
  /** ANPA… */
  readonly policyId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  /** The document of the only version, v1. */
  readonly document: string;
  readonly defaultVersionId: string;
  readonly description?: string;
  readonly createDate: number;
  readonly updateDate: number;
  readonly tags: readonly Tag[];
}

export type PrincipalKind = 'user' | 'role' | 'group';

export interface InlinePolicyRecord {
  /** The user's, role's or group's unique id. */
  readonly principalId: string;
  readonly name: string;
  readonly document: string;
}

export interface SessionRecord {
  /** ASIA… */
  readonly accessKeyId: string;
  readonly accountId: string;
  readonly secretAccessKey: string;
  /** SHA-256 of the session token; the token itself is never stored. */
  readonly sessionTokenHash: Buffer;
  readonly roleId: string;
  readonly roleName: string;
  readonly roleArn: string;
  readonly sessionName: string;
  /** Epoch ms, on the domain clock. */
  readonly expiration: number;
  readonly createDate: number;
}

// ---------------------------------------------------------------------------------------------
// Identifiers.

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const base32 = (n: number): string => Array.from(randomBytes(n), (b) => BASE32[b % 32]).join('');

/** Unique ids: AIDA (user), AROA (role), AGPA (group), ANPA (managed policy), + 17 characters. */
export type UniqueIdPrefix = 'AIDA' | 'AROA' | 'AGPA' | 'ANPA';
export const newUniqueId = (prefix: UniqueIdPrefix): string => prefix + base32(17);
/** AKIA (long-term) or ASIA (temporary) + 16 characters. */
export const newAccessKeyId = (prefix: 'AKIA' | 'ASIA' = 'AKIA'): string => prefix + base32(16);
export const newSecretAccessKey = (): string => randomBytes(30).toString('base64');
/** An opaque random session token (only its hash is stored). */
export const newSessionToken = (): string => randomBytes(96).toString('base64');
export const hashSessionToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export const ACCOUNT_ID = /^\d{12}$/;

// ---------------------------------------------------------------------------------------------
// ARNs.

export const rootArn = (accountId: string): string => `arn:${PARTITION}:iam::${accountId}:root`;
export const userArn = (accountId: string, path: string, name: string): string => `arn:${PARTITION}:iam::${accountId}:user${path}${name}`;
export const roleArn = (accountId: string, path: string, name: string): string => `arn:${PARTITION}:iam::${accountId}:role${path}${name}`;
export const groupArn = (accountId: string, path: string, name: string): string => `arn:${PARTITION}:iam::${accountId}:group${path}${name}`;
export const policyArn = (accountId: string, path: string, name: string): string => `arn:${PARTITION}:iam::${accountId}:policy${path}${name}`;
export const assumedRoleArn = (accountId: string, roleName: string, sessionName: string): string =>
  `arn:${PARTITION}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;

export interface ParsedIamArn {
  readonly accountId: string;
  readonly type: 'user' | 'role' | 'group' | 'policy';
  readonly path: string;
  readonly name: string;
}

const IAM_ARN = /^arn:aws:iam::(\d{12}|aws):(user|role|group|policy)(\/(?:[^/]+\/)*)([^/]+)$/;

/** An IAM user, role, group or policy ARN; undefined for anything else. */
export function parseIamArn(arn: string): ParsedIamArn | undefined {
  const m = IAM_ARN.exec(arn);
  if (!m) return undefined;
  const [, accountId = '', type = '', path = '/', name = ''] = m;
  return { accountId, type: type as ParsedIamArn['type'], path, name };
}

export const tagsToRecord = (tags: readonly Tag[]): Record<string, string> => Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
