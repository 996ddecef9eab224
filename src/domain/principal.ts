/**
 * Who is asking, and the authorization questions operations ask about them. Types only: the
 * answers come from the authorizer.
 */
import type { KeyRecord } from './key.ts';

export type PrincipalType = 'Root' | 'IAMUser' | 'AssumedRole';

/** The authenticated principal of a request. */
export interface Caller {
  readonly accountId: string;
  /** arn:aws:iam::<acct>:root, arn:aws:iam::<acct>:user/<path><name>, arn:aws:sts::<acct>:assumed-role/<role>/<session> */
  readonly arn: string;
  readonly accessKeyId: string;
  readonly type: PrincipalType;
  /** aws:userid: the account id for root, AIDA… for users, AROA…:<session> for role sessions. */
  readonly userId: string;
  /** IAM users only (aws:username). */
  readonly username?: string;
  /** Assumed roles only: the role's IAM ARN (aws:PrincipalArn). */
  readonly roleArn?: string;
  /** aws:PrincipalTag/* */
  readonly tags: Readonly<Record<string, string>>;
}

/** What the transport knows about a request (global condition keys). */
export interface RequestInfo {
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly secureTransport: boolean;
}

export type ConditionValue = string | readonly string[] | boolean | number;

/** One authorization question about a KMS key. */
export interface KeyAuthorization {
  /** The IAM action, e.g. `kms:Encrypt`. */
  readonly action: string;
  readonly key: KeyRecord;
  /** Request-specific condition keys (`kms:EncryptionAlgorithm`, `aws:RequestTag/...`, ...). */
  readonly conditions?: Readonly<Record<string, ConditionValue | undefined>>;
  /** The GrantOperation a grant must allow for this request; absent when grants cannot allow it. */
  readonly grantOperation?: string;
  readonly encryptionContext?: Readonly<Record<string, string>> | undefined;
  readonly grantTokens?: readonly string[] | undefined;
  /** The alias the request named the key by (kms:RequestAlias). */
  readonly requestAlias?: string | undefined;
}

/** How an allowed request was allowed; a grant that allowed it is named (CreateGrant delegation). */
export interface AuthorizationResult {
  readonly via: 'key-policy' | 'key-policy+iam' | 'iam' | 'grant' | 'unenforced';
  readonly grantId?: string;
}
