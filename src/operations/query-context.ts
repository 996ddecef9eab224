/**
 * What an IAM or STS operation receives: the caller, the identity store, the domain clock and the
 * authorization questions it may ask. Built per request by the context factory main.ts wires.
 */
import type { Clock } from '../core/clock.ts';
import type { CredentialResolver } from '../services/credentials.ts';
import type { RoleRecord } from '../domain/identity.ts';
import type { IdentityRepository } from '../ports/identity-repository.ts';
import type { Caller, ConditionValue, RequestInfo, Sync } from './context.ts';

export type Conditions = Readonly<Record<string, ConditionValue | undefined>>;

export interface QueryContext {
  readonly requestId: string;
  readonly caller: Caller;
  /** The region of the request's credential scope. */
  readonly region: string;
  readonly identities: IdentityRepository;
  readonly credentials: CredentialResolver;
  readonly clock: Clock;
  readonly request: RequestInfo;
  /** Throws AccessDenied unless the caller may perform `action` (e.g. `iam:CreateUser`) on `resource`. */
  authorize(action: string, resource: string, conditions?: Conditions): void;
  /** Throws AccessDenied unless the caller may assume `role`: its trust policy, and the caller's identity policies. */
  authorizeAssumeRole(role: RoleRecord, conditions?: Conditions): void;
}

export type QueryService = 'iam' | 'sts';

export interface QueryOperation {
  readonly service: QueryService;
  readonly name: string;
  run(input: Record<string, unknown>, ctx: QueryContext): object | undefined;
}

/**
 * Declares an IAM or STS operation; `run` sees the input validated against the service's model.
 * It is synchronous (the type refuses a promise), so a state change commits with its record.
 */
export function defineQueryOperation<I extends object, O extends Sync<object> | undefined>(
  service: QueryService,
  name: string,
  run: (input: I, ctx: QueryContext) => O,
): QueryOperation {
  return { service, name, run: (input, ctx) => run(input as I, ctx) };
}
