/**
 * What an operation receives besides its input: who is calling, in which account and region, and
 * the request's view of the services it may use. Operations see ports and services, never
 * adapters; what they write goes into the request's change set (through `keyring`, a KeySession),
 * which the pipeline commits with the call's audit record once the operation has returned.
 */
import type { Clock } from '../core/clock.ts';
import type { Scope } from '../core/arn.ts';
import type { ServedRegions } from '../core/regions.ts';
import type { KeySession } from '../services/key-session.ts';
import type { UsageTracker } from '../services/usage.ts';
import type { CustomKeyStoreSession } from '../services/custom-key-stores.ts';
import type { KeyRecord } from '../domain/key.ts';
import type { AuthorizationResult, Caller, ConditionValue, KeyAuthorization, RequestInfo } from '../domain/principal.ts';

export type { Caller, ConditionValue, KeyAuthorization, PrincipalType, RequestInfo } from '../domain/principal.ts';

export interface OperationContext {
  readonly requestId: string;
  readonly caller: Caller;
  /** The caller's account in the region of the request's credential scope. */
  readonly scope: Scope;
  /** The regions this Coffer serves (COFFER_REGION, COFFER_REGIONS). */
  readonly regions: ServedRegions;
  /** This request's view of the keys: committed state, plus the writes it recorded. */
  readonly keyring: KeySession;
  /** This request's view of the AWS_CLOUDHSM custom key stores (writes go into the same change set). */
  readonly customKeyStores: CustomKeyStoreSession;
  readonly clock: Clock;
  readonly usage: UsageTracker;
  readonly request: RequestInfo;
  /** Rejects with AccessDeniedException unless the caller may perform `a.action` on `a.key`. */
  authorizeKey(a: KeyAuthorization): Promise<AuthorizationResult>;
  /**
   * The lockout safety check: MalformedPolicyDocumentException unless `policy` would let the
   * caller call PutKeyPolicy on the key afterwards.
   */
  checkLockout(policy: string, keyArn: string): Promise<void>;
  /**
   * The AWS managed key `alias/aws/<service>` names in the caller's account and the request's
   * region, created (its own durable, audited state change) at first use; NotFoundException when
   * the name is no AWS managed key's.
   */
  awsManagedKey(aliasName: string): Promise<KeyRecord>;
  /** Account-level actions (CreateKey, ListKeys, ...), decided by the caller's IAM policies. */
  authorizeAccount(action: string, resource: string, conditions?: Readonly<Record<string, ConditionValue | undefined>>): Promise<void>;
}

/**
 * One AWS operation: `(input, ctx) => Promise<output>`. Whether it changes state is the operation
 * table's (wire/operation-table.ts); a state change's slow part that changes nothing (generating a
 * key pair) may be `prepare`, run before the pipeline takes the lock that state changes run under.
 */
export interface Operation {
  readonly name: string;
  prepare?(input: Record<string, unknown>, ctx: OperationContext): Promise<unknown>;
  run(input: Record<string, unknown>, ctx: OperationContext, prepared?: unknown): Promise<object | undefined>;
}

/**
 * Declares an operation. The input has been validated against the model by protocol/ before
 * `run` sees it, so its shape is the SDK's request type.
 */
export function defineOperation<I extends object, O extends object | undefined>(
  name: string,
  run: (input: I, ctx: OperationContext) => Promise<O>,
): Operation {
  return { name, run: (input, ctx) => run(input as I, ctx) };
}

/**
 * An operation with a slow part: `prepare` (validation, authorization, key generation; no state
 * change) runs first, outside the state-change lock; `run` then makes the change from it.
 */
export function definePreparedOperation<I extends object, P, O extends object | undefined>(
  name: string,
  parts: { prepare: (input: I, ctx: OperationContext) => Promise<P>; run: (input: I, ctx: OperationContext, prepared: P) => Promise<O> },
): Operation {
  return {
    name,
    prepare: (input, ctx) => parts.prepare(input as I, ctx),
    run: (input, ctx, prepared) => parts.run(input as I, ctx, prepared as P),
  };
}
