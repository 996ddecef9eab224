/**
 * What an IAM or STS operation receives: the caller, the request's view of the identity store
 * (reads of the committed state; writes recorded in the request's change set, which the pipeline
 * commits with the call's audit record), the domain clock and the authorization questions it may
 * ask. Built per request by the context factory main.ts wires.
 */
import type { Clock } from '../core/clock.ts';
import type { CredentialResolver } from '../services/credentials.ts';
import type { IdentitySession } from '../services/identity-session.ts';
import type { RoleRecord } from '../domain/identity.ts';
import type { Caller, ConditionValue, RequestInfo } from './context.ts';

export type Conditions = Readonly<Record<string, ConditionValue | undefined>>;

export interface QueryContext {
  readonly requestId: string;
  readonly caller: Caller;
  /** The region of the request's credential scope. */
  readonly region: string;
  readonly identities: IdentitySession;
  readonly credentials: CredentialResolver;
  readonly clock: Clock;
  readonly request: RequestInfo;
  /** Rejects with AccessDenied unless the caller may perform `action` (e.g. `iam:CreateUser`) on `resource`. */
  authorize(action: string, resource: string, conditions?: Conditions): Promise<void>;
  /** Rejects with AccessDenied unless the caller may assume `role`: its trust policy, and the caller's identity policies. */
  authorizeAssumeRole(role: RoleRecord, conditions?: Conditions): Promise<void>;
}

export type QueryService = 'iam' | 'sts';

export interface QueryOperation {
  readonly service: QueryService;
  readonly name: string;
  run(input: Record<string, unknown>, ctx: QueryContext): Promise<object | undefined>;
}

/**
 * Declares an IAM or STS operation; `run` sees the input validated against the service's model.
 * It may read and write through `ctx.identities` across awaits: its writes are a change set,
 * committed (with the call's record) only after it returns.
 */
export function defineQueryOperation<I extends object, O extends object | undefined>(
  service: QueryService,
  name: string,
  run: (input: I, ctx: QueryContext) => Promise<O>,
): QueryOperation {
  return { service, name, run: (input, ctx) => run(input as I, ctx) };
}
