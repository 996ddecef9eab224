/**
 * What an operation receives besides its input: who is calling, in which account and region,
 * and the services it may use. Operations see ports and domain services, never adapters.
 */
import type { Clock } from '../core/clock.ts';
import type { Scope } from '../core/arn.ts';
import type { Keyring } from '../domain/keyring.ts';
import type { UsageTracker } from '../domain/usage.ts';
import type { KeyRecord } from '../domain/key.ts';

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

export interface OperationContext {
  readonly requestId: string;
  readonly caller: Caller;
  /** The caller's account in the region of the request's credential scope. */
  readonly scope: Scope;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly usage: UsageTracker;
  readonly request: RequestInfo;
  /** Throws AccessDeniedException unless the caller may perform `a.action` on `a.key`. */
  authorizeKey(a: KeyAuthorization): void;
  /** Account-level actions (CreateKey, ListKeys, ...), decided by the caller's IAM policies. */
  authorizeAccount(action: string, resource: string, conditions?: Readonly<Record<string, ConditionValue | undefined>>): void;
}

export interface Operation {
  readonly name: string;
  run(input: Record<string, unknown>, ctx: OperationContext): Promise<object | undefined> | object | undefined;
}

/**
 * Declares an operation. The input has been validated against the model by protocol/ before
 * `run` sees it, so its shape is the SDK's request type.
 */
export function defineOperation<I extends object, O extends object | undefined>(
  name: string,
  run: (input: I, ctx: OperationContext) => Promise<O> | O,
): Operation {
  return { name, run: (input, ctx) => run(input as I, ctx) };
}
