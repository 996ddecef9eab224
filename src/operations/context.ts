/**
 * What an operation receives besides its input: who is calling, in which account and region,
 * and the services it may use. Operations see ports and domain services, never adapters.
 */
import type { Clock } from '../core/clock.ts';
import type { Scope } from '../core/arn.ts';
import type { Keyring } from '../services/keyring.ts';
import type { UsageTracker } from '../services/usage.ts';
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
  /**
   * Whether the operation changes state. A state change runs synchronously inside the transaction
   * that also commits its audit record, so the two commit together or not at all; any slow,
   * asynchronous work it needs (generating a key pair) is `prepare`, done before that transaction
   * and changing nothing itself.
   */
  readonly mutating: boolean;
  prepare?(input: Record<string, unknown>, ctx: OperationContext): Promise<unknown>;
  run(input: Record<string, unknown>, ctx: OperationContext, prepared?: unknown): Promise<object | undefined> | object | undefined;
}

/** A value that is certainly not a promise: what a state change's synchronous part returns. */
export type Sync<T> = T & { readonly then?: never };

/**
 * Declares an operation that changes nothing. The input has been validated against the model by
 * protocol/ before `run` sees it, so its shape is the SDK's request type.
 */
export function defineOperation<I extends object, O extends object | undefined>(
  name: string,
  run: (input: I, ctx: OperationContext) => Promise<O> | O,
): Operation {
  return { name, mutating: false, run: (input, ctx) => run(input as I, ctx) };
}

/** Declares an operation that changes state: `run` is synchronous (the type refuses a promise). */
export function defineMutation<I extends object, O extends Sync<object> | undefined>(
  name: string,
  run: (input: I, ctx: OperationContext) => O,
): Operation {
  return { name, mutating: true, run: (input, ctx) => run(input as I, ctx) };
}

/**
 * A state change with a slow part: `prepare` (validation, authorization, key generation; no state
 * change) runs first, asynchronously; `run` then makes the change from what it prepared,
 * synchronously, in the transaction that commits the call's record.
 */
export function definePreparedMutation<I extends object, P, O extends Sync<object> | undefined>(
  name: string,
  parts: { prepare: (input: I, ctx: OperationContext) => Promise<P>; run: (input: I, ctx: OperationContext, prepared: P) => O },
): Operation {
  return {
    name, mutating: true,
    prepare: (input, ctx) => parts.prepare(input as I, ctx),
    run: (input, ctx, prepared) => parts.run(input as I, ctx, prepared as P),
  };
}
