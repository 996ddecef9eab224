/**
 * The OperationContext of one KMS request. A class rather than an object of closures: a request
 * builds one object and no functions (the Encrypt hot path makes one of these per call).
 */
import type { Clock } from '../core/clock.ts';
import type { Scope } from '../core/arn.ts';
import type { ServedRegions } from '../core/regions.ts';
import type { Authorizer } from '../services/authorizer.ts';
import type { Keyring } from '../services/keyring.ts';
import { KeySession, type UnitOfWork } from '../services/key-session.ts';
import type { UsageTracker } from '../services/usage.ts';
import type { AwsManagedKeys } from '../services/aws-managed-keys.ts';
import type { KeyRecord } from '../domain/key.ts';
import { CustomKeyStoreSession, type CustomKeyStores } from '../services/custom-key-stores.ts';
import type { AuthorizationResult, Caller, ConditionValue, KeyAuthorization, RequestInfo } from '../domain/principal.ts';
import type { OperationContext } from './context.ts';

/** What every request's context shares. */
export interface KmsServices {
  readonly regions: ServedRegions;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly usage: UsageTracker;
  readonly authorizer: Authorizer;
  /** AWS_CLOUDHSM custom key stores, over the HSM clusters' keys (services/cluster-keys.ts). */
  readonly customKeyStores: CustomKeyStores;
  /** Runs the scheduler's jobs soon (Scheduler.kick): a store to connect or disconnect. */
  readonly kick: () => void;
  /** Creates AWS managed keys at first use. */
  readonly awsManagedKeys: Pick<AwsManagedKeys, 'key'>;
}

export class KmsRequestContext implements OperationContext {
  readonly scope: Scope;
  readonly regions: ServedRegions;
  readonly keyring: KeySession;
  readonly clock: Clock;
  readonly usage: UsageTracker;
  /** Made at first use (most requests never touch a custom key store). */
  private stores: CustomKeyStoreSession | undefined;

  /** `resources` collects the ARN of every key the request is authorized on (its audit record's resources). */
  constructor(
    private readonly services: KmsServices,
    readonly caller: Caller,
    region: string,
    readonly requestId: string,
    readonly request: RequestInfo,
    private readonly resources: Set<string>,
    uow: UnitOfWork,
  ) {
    this.scope = { partition: 'aws', region, accountId: caller.accountId };
    this.regions = services.regions;
    this.keyring = new KeySession(services.keyring, uow);
    this.clock = services.clock;
    this.usage = services.usage;
    this.uow = uow;
  }

  private readonly uow: UnitOfWork;

  get customKeyStores(): CustomKeyStoreSession {
    return (this.stores ??= new CustomKeyStoreSession(this.services.customKeyStores, this.uow.changes, this.services.kick));
  }

  authorizeKey(a: KeyAuthorization): Promise<AuthorizationResult> {
    this.resources.add(a.key.arn);
    return this.services.authorizer.authorizeKey(this.caller, this.request, a);
  }

  awsManagedKey(aliasName: string): Promise<KeyRecord> {
    return this.services.awsManagedKeys.key(this.scope, aliasName);
  }

  authorizeAccount(action: string, resource: string, conditions?: Readonly<Record<string, ConditionValue | undefined>>): Promise<void> {
    return this.services.authorizer.authorizeAccount(this.caller, this.request, action, resource, conditions);
  }

  checkLockout(policy: string, keyArn: string): Promise<void> {
    return this.services.authorizer.checkLockout(this.caller, this.request, policy, keyArn);
  }
}
