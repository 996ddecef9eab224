/**
 * AWS managed keys made at first use. A request naming `alias/aws/<service>` whose alias has no key
 * yet (an Encrypt, a DescribeKey: calls that change nothing themselves) has this service create the
 * key and its alias first, as a state change of its own: under the state-change lock, committed
 * with its audit record (a CreateKey service event, as AWS records the key a service creates) in
 * one transaction, before the request goes on with the key. Two first uses at once make one key:
 * in this process the second waits for the first's creation; across processes (workers, nodes)
 * the alias is written only where it is absent, so the loser's commit fails and it reads the
 * winner's key.
 */
import { aliasArn, keyArn, type Scope } from '../core/arn.ts';
import { newKeyId } from '../core/ids.ts';
import { DAY_MS, type Clock } from '../core/clock.ts';
import type { Mutex } from '../core/mutex.ts';
import { NotFoundException } from '../errors/kms-errors.ts';
import { StorageConflict } from '../errors/storage-conflict.ts';
import { awsManagedKeyDescription, awsManagedKeyPolicy, awsManagedService } from '../domain/aws-managed-keys.ts';
import { DEFAULT_ROTATION_PERIOD_DAYS, type KeyRecord } from '../domain/key.ts';
import type { AuditSink } from '../ports/audit.ts';
import { topicsOf } from './coherence.ts';
import { KeySession, newUnitOfWork } from './key-session.ts';
import { newKeyMaterial } from './key-material.ts';
import type { Keyring } from './keyring.ts';

/** How many times a creation runs when its commit keeps losing to other writers. */
const MAX_ATTEMPTS = 5;

export interface AwsManagedKeysDeps {
  readonly keyring: Keyring;
  readonly lock: Mutex;
  readonly audit: AuditSink;
  readonly clock: Clock;
}

export class AwsManagedKeys {
  /** Creations in progress in this process, by account, region and alias. */
  private readonly inFlight = new Map<string, Promise<KeyRecord>>();

  constructor(private readonly deps: AwsManagedKeysDeps) {}

  /**
   * The AWS managed key `aliasName` names in the scope's account and region, created (durably,
   * audited) when it does not exist yet. NotFoundException when the name is no AWS managed key's.
   */
  key(scope: Scope, aliasName: string): Promise<KeyRecord> {
    const id = `${scope.accountId}/${scope.region}/${aliasName}`;
    const running = this.inFlight.get(id);
    if (running !== undefined) return running;
    const made = this.ensure(scope, aliasName).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, made);
    return made;
  }

  private async ensure(scope: Scope, aliasName: string): Promise<KeyRecord> {
    const service = awsManagedService(aliasName);
    if (service === undefined) throw new NotFoundException(`Alias ${aliasArn(scope, aliasName)} is not found.`);
    const { keyring, lock, audit, clock } = this.deps;
    return lock.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const uow = newUnitOfWork();
        const keys = new KeySession(keyring, uow);
        const existing = await keys.getAlias(scope.accountId, scope.region, aliasName);
        if (existing !== undefined) {
          const key = await keys.get(existing.targetKeyArn);
          if (key === undefined) throw new NotFoundException(`Key '${existing.targetKeyArn}' does not exist`);
          return key;
        }
        const now = clock.now();
        const keyId = newKeyId();
        const arn = keyArn(scope, keyId);
        const made = await newKeyMaterial(keys, arn, 'SYMMETRIC_DEFAULT', now);
        const key: KeyRecord = {
          arn, keyId, accountId: scope.accountId, region: scope.region, creationDate: now,
          description: awsManagedKeyDescription(service), keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS',
          multiRegion: false, state: 'Enabled',
          // Yearly, from creation, and never turned off.
          rotation: { enabled: true, periodDays: DEFAULT_ROTATION_PERIOD_DAYS, nextRotationDate: now + DEFAULT_ROTATION_PERIOD_DAYS * DAY_MS },
          onDemandRotations: 0, currentMaterialId: made.material.materialId,
          policy: awsManagedKeyPolicy(scope.partition, scope.accountId, scope.region, service), tags: [], awsService: service.name,
        };
        const stored = keys.create(key, [made.material]);
        keys.putAlias({ accountId: scope.accountId, region: scope.region, name: aliasName, targetKeyArn: arn, creationDate: now, lastUpdatedDate: now }, 'absent');
        try {
          await audit.commit(uow.changes, undefined, [{ eventName: 'CreateKey', keyArn: arn }]);
          return stored;
        } catch (e) {
          // Another process created the alias first: read its key on fresh state.
          if (!(e instanceof StorageConflict) || attempt >= MAX_ATTEMPTS) throw e;
          keyring.invalidate(topicsOf(uow.changes));
        }
      }
    });
  }
}
