/**
 * What an operation receives besides its input: who is calling, in which account and region,
 * and the services it may use. Operations see ports and domain services, never adapters.
 */
import type { Clock } from '../core/clock.ts';
import type { Scope } from '../core/arn.ts';
import type { Keyring } from '../domain/keyring.ts';
import type { UsageTracker } from '../domain/usage.ts';
import type { AuthorizationResult, Caller, ConditionValue, KeyAuthorization, RequestInfo } from '../domain/principal.ts';

export type { Caller, ConditionValue, KeyAuthorization, PrincipalType, RequestInfo } from '../domain/principal.ts';

export interface OperationContext {
  readonly requestId: string;
  readonly caller: Caller;
  /** The caller's account in the region of the request's credential scope. */
  readonly scope: Scope;
  /** Every region this Coffer serves (COFFER_REGIONS), the home region first. */
  readonly regions: readonly string[];
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly usage: UsageTracker;
  readonly request: RequestInfo;
  /** Throws AccessDeniedException unless the caller may perform `a.action` on `a.key`. */
  authorizeKey(a: KeyAuthorization): AuthorizationResult;
  /**
   * The lockout safety check: MalformedPolicyDocumentException unless `policy` would let the
   * caller call PutKeyPolicy on the key afterwards.
   */
  checkLockout(policy: string, keyArn: string): void;
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
