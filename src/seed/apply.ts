/**
 * Applies a validated seed at start-up, before the server answers, idempotently: what the seed
 * names and the state already has is left alone; what is missing is created; what differs
 * (description, enabled state, key policy, tags, alias targets, access key secrets, policy
 * documents) is updated; nothing the seed no longer names is deleted, and a key's material never
 * changes. First a check of the whole seed against the state (a key id of another spec, usage,
 * region or material; an access key of another owner) stops start-up before anything is written.
 *
 * Each change is a change set of its own, committed with its audit record as the API's would be
 * (eventName the operation it amounts to, eventSource kms or iam, userIdentity an `AWSService`
 * invoked by `coffer-seed`), under the state-change lock, durably. Fixed key material goes through
 * the key store's `hold`, as imported material does; its material id is derived from the key id
 * and the material (as ImportKeyMaterial's), so the check of an existing key compares ids only.
 */
import { timingSafeEqual } from 'node:crypto';
import { keyArn, aliasArn, accountRootArn, type Scope } from '../core/arn.ts';
import type { Clock } from '../core/clock.ts';
import { newRequestId } from '../core/ids.ts';
import type { Mutex } from '../core/mutex.ts';
import { zero } from '../crypto/bytes.ts';
import { importedMaterialId, sameMaterialId } from '../crypto/imported-material.ts';
import { newGrantId, type GrantRecord } from '../domain/grant.ts';
import { newUniqueId, policyArn, userArn, type AccessKeyRecord, PARTITION } from '../domain/identity.ts';
import { DEFAULT_ROTATION_PERIOD_DAYS, type KeyRecord, type MaterialRecord } from '../domain/key.ts';
import { defaultKeyPolicy } from '../policy/document.ts';
import type { ApiCall, AuditService, AuditSink } from '../ports/audit.ts';
import type { IdentityRepository } from '../ports/identity-repository.ts';
import { sameGrant } from '../operations/kms/grant-rules.ts';
import { checkedMaterial } from '../services/import-material.ts';
import { IdentitySession } from '../services/identity-session.ts';
import { KeySession, newUnitOfWork } from '../services/key-session.ts';
import { newKeyMaterial } from '../services/key-material.ts';
import type { Keyring } from '../services/keyring.ts';
import { SeedError, type Seed, type SeedAccessKey, type SeedKey, type SeedPlace } from './model.ts';

export const SEED_ACTOR = 'coffer-seed';

export interface SeedDeps {
  readonly keyring: Keyring;
  readonly identities: IdentityRepository;
  readonly audit: AuditSink;
  readonly lock: Mutex;
  readonly clock: Clock;
}

/** One change the seed makes: what it amounts to in the API, and its writes. */
interface Step {
  readonly service: AuditService;
  readonly operation: string;
  readonly accountId: string;
  readonly region: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly output?: object;
  readonly resources: readonly string[];
}

const IAM_REGION = 'us-east-1';
const scopeOf = (accountId: string, region: string): Scope => ({ partition: PARTITION, accountId, region });
const fail = (seed: Seed, at: SeedPlace, message: string): never => {
  throw new SeedError(`COFFER_SEED_FILE ${seed.file} line ${at.line}: ${at.path} ${message}`);
};
const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
};

export class SeedApplier {
  /** How many changes this run committed. */
  changes = 0;

  constructor(private readonly seed: Seed, private readonly deps: SeedDeps) {}

  /** Checks the whole seed against the state, then applies it; returns the number of changes committed. */
  async run(): Promise<number> {
    await this.check();
    await this.applyAccounts();
    await this.applyPolicies();
    await this.applyUsers();
    for (const k of this.seed.keys) await this.applyKey(k);
    return this.changes;
  }

  private async commit(step: Step, write: (uow: { keys: KeySession; ids: IdentitySession }) => void | Promise<void>): Promise<void> {
    const { keyring, identities, audit, lock } = this.deps;
    await lock.run(async () => {
      const uow = newUnitOfWork();
      await write({ keys: new KeySession(keyring, uow), ids: new IdentitySession(identities, uow) });
      const call: ApiCall = {
        service: step.service, operation: step.operation, caller: undefined, accessKeyId: undefined, region: step.region,
        requestId: newRequestId(), request: { sourceIp: SEED_ACTOR, userAgent: SEED_ACTOR, secureTransport: true },
        input: step.input, output: step.output, error: undefined, resources: new Set(step.resources),
        invokedBy: { name: SEED_ACTOR, accountId: step.accountId },
      };
      await audit.commit(uow.changes, call);
    });
    this.changes++;
  }

  // ---- the check before anything is written

  private async check(): Promise<void> {
    const { keyring, identities } = this.deps;
    const owners = new Map<string, string>();
    for (const a of this.seed.accounts) if (a.rootAccessKey) owners.set(a.rootAccessKey.accessKeyId, `root:${a.accountId}`);
    for (const u of this.seed.users) for (const k of u.accessKeys) owners.set(k.accessKeyId, `user:${u.accountId}/${u.name.toLowerCase()}`);
    const accessKeys = [...this.seed.accounts.flatMap((a) => (a.rootAccessKey ? [a.rootAccessKey] : [])), ...this.seed.users.flatMap((u) => u.accessKeys)];
    for (const k of accessKeys) {
      const stored = await identities.getAccessKey(k.accessKeyId);
      if (stored === undefined) continue;
      const want = owners.get(k.accessKeyId);
      const user = stored.owner === 'root' ? undefined : await identities.getUserById(stored.owner);
      const have = stored.owner === 'root' ? `root:${stored.accountId}` : `user:${stored.accountId}/${user?.name.toLowerCase() ?? '?'}`;
      if (have !== want) fail(this.seed, k.at, `names access key ${k.accessKeyId}, which belongs to another principal (${have.replace(/^(root|user):/, '$1 ')})`);
    }
    for (const k of this.seed.keys) {
      const arn = keyArn(scopeOf(k.accountId, k.region), k.keyId);
      const existing = await keyring.get(arn);
      if (existing === undefined) {
        const elsewhere = await keyring.repo.keysWithKeyId(k.accountId, k.keyId);
        if (elsewhere.length > 0) fail(this.seed, k.at, `key id ${k.keyId} exists already in account ${k.accountId} in another region (${elsewhere.map((x) => x.region).join(', ')})`);
        continue;
      }
      if (existing.keySpec !== k.keySpec || existing.keyUsage !== k.keyUsage) {
        fail(this.seed, k.at, `key ${k.keyId} exists as a ${existing.keySpec} ${existing.keyUsage} key; a key's spec and usage never change`);
      }
      if (existing.awsService !== undefined) fail(this.seed, k.at, `key ${k.keyId} is an AWS managed key`);
      if (k.material !== undefined) {
        const { bytes } = checkedMaterial(k.keySpec, k.material.bytes);
        const id = importedMaterialId(k.keyId, bytes);
        zero(bytes);
        const materials = await keyring.repo.getMaterials(arn);
        if (!materials.some((m) => sameMaterialId(m.materialId, id))) {
          fail(this.seed, k.at, `material differs from the material key ${k.keyId} was created with; a key's material never changes (use another key id, or a fresh data folder)`);
        }
      }
    }
  }

  // ---- identities

  private async applyAccounts(): Promise<void> {
    for (const a of this.seed.accounts) {
      if ((await this.deps.identities.getAccount(a.accountId)) === undefined) {
        await this.commit({ service: 'iam', operation: 'CreateAccount', accountId: a.accountId, region: IAM_REGION, input: {}, resources: [accountRootArn({ partition: PARTITION, accountId: a.accountId })] },
          ({ ids }) => ids.addAccount({ accountId: a.accountId, createDate: this.deps.clock.now() }));
      }
      if (a.rootAccessKey) await this.applyAccessKey(a.accountId, 'root', undefined, a.rootAccessKey);
    }
  }

  private async applyAccessKey(accountId: string, owner: string, userName: string | undefined, k: SeedAccessKey): Promise<void> {
    const stored = await this.deps.identities.getAccessKey(k.accessKeyId);
    if (stored !== undefined && stored.status === 'Active' && sameSecret(stored.secretAccessKey, k.secretAccessKey)) return;
    const record: AccessKeyRecord = {
      accessKeyId: k.accessKeyId, accountId, owner, secretAccessKey: k.secretAccessKey, status: 'Active', createDate: stored?.createDate ?? this.deps.clock.now(),
    };
    const operation = stored === undefined ? 'CreateAccessKey' : 'UpdateAccessKey';
    await this.commit({
      service: 'iam', operation, accountId, region: IAM_REGION,
      input: { ...(userName !== undefined ? { UserName: userName } : {}), ...(stored !== undefined ? { AccessKeyId: k.accessKeyId, Status: 'Active' } : {}) },
      // The secret is never recorded: only the key's id and status.
      output: { AccessKey: { ...(userName !== undefined ? { UserName: userName } : {}), AccessKeyId: k.accessKeyId, Status: 'Active' } },
      resources: [],
    }, ({ ids }) => ids.putAccessKey(record));
  }

  private async applyPolicies(): Promise<void> {
    for (const p of this.seed.policies) {
      const arn = policyArn(p.accountId, p.path, p.name);
      const stored = await this.deps.identities.getManagedPolicy(arn);
      if (stored !== undefined && stored.document === p.document && stored.description === p.description) continue;
      const now = this.deps.clock.now();
      const { description: _, ...base } = stored ?? { accountId: p.accountId, policyId: newUniqueId('ANPA'), name: p.name, path: p.path, arn, defaultVersionId: 'v1', createDate: now, tags: [], document: '', updateDate: now };
      const creating = stored === undefined;
      await this.commit({
        service: 'iam', operation: creating ? 'CreatePolicy' : 'CreatePolicyVersion', accountId: p.accountId, region: IAM_REGION,
        input: creating ? { PolicyName: p.name, Path: p.path, PolicyDocument: p.document, ...(p.description !== undefined ? { Description: p.description } : {}) } : { PolicyArn: arn, PolicyDocument: p.document, SetAsDefault: true },
        resources: [arn],
      }, ({ ids }) => ids.putManagedPolicy({ ...base, document: p.document, updateDate: now, ...(p.description !== undefined ? { description: p.description } : {}) }));
    }
  }

  private async applyUsers(): Promise<void> {
    const { identities, clock } = this.deps;
    for (const u of this.seed.users) {
      let user = await identities.getUser(u.accountId, u.name);
      if (user === undefined) {
        const made = { accountId: u.accountId, userId: newUniqueId('AIDA'), name: u.name, path: u.path, arn: userArn(u.accountId, u.path, u.name), createDate: clock.now(), tags: [] };
        await this.commit({ service: 'iam', operation: 'CreateUser', accountId: u.accountId, region: IAM_REGION, input: { UserName: u.name, Path: u.path }, output: { User: { UserName: u.name, UserId: made.userId, Arn: made.arn } }, resources: [made.arn] },
          ({ ids }) => ids.putUser(made));
        user = made;
      }
      const found = user;
      for (const k of u.accessKeys) await this.applyAccessKey(u.accountId, found.userId, found.name, k);
      for (const p of u.inlinePolicies) {
        const stored = await identities.getInlinePolicy(found.userId, p.name);
        if (stored?.document === p.document) continue;
        await this.commit({ service: 'iam', operation: 'PutUserPolicy', accountId: u.accountId, region: IAM_REGION, input: { UserName: found.name, PolicyName: p.name, PolicyDocument: p.document }, resources: [found.arn] },
          ({ ids }) => ids.putInlinePolicy({ principalId: found.userId, name: p.name, document: p.document }));
      }
      const attached = new Set((await identities.listAttachedPolicies(found.userId)).map((p) => p.arn));
      for (const arn of u.attachedPolicies) {
        if (attached.has(arn)) continue;
        if ((await identities.getManagedPolicy(arn)) === undefined) fail(this.seed, u.at, `attachedPolicies names ${arn}, which does not exist`);
        await this.commit({ service: 'iam', operation: 'AttachUserPolicy', accountId: u.accountId, region: IAM_REGION, input: { UserName: found.name, PolicyArn: arn }, resources: [found.arn, arn] },
          ({ ids }) => ids.attachPolicy(found.userId, arn));
      }
    }
  }

  // ---- keys

  private async applyKey(k: SeedKey): Promise<void> {
    const { keyring } = this.deps;
    const scope = scopeOf(k.accountId, k.region);
    const arn = keyArn(scope, k.keyId);
    const kms = (operation: string, input: Record<string, unknown>, output?: object): Step => ({ service: 'kms', operation, accountId: k.accountId, region: k.region, input, resources: [arn], ...(output !== undefined ? { output } : {}) });
    let key = await keyring.get(arn);
    if (key === undefined) {
      const made = await this.newKey(k, arn);
      await this.commit(kms('CreateKey', {
        KeySpec: k.keySpec, KeyUsage: k.keyUsage, Description: made.key.description, Origin: 'AWS_KMS',
        ...(made.key.tags.length > 0 ? { Tags: made.key.tags } : {}), ...(k.policy !== undefined ? { Policy: k.policy } : {}),
      }, { KeyMetadata: { KeyId: k.keyId, Arn: arn } }), ({ keys }) => void keys.create(made.key, [made.material]));
      key = made.key;
    } else {
      if (k.description !== undefined && key.description !== k.description) {
        await this.commit(kms('UpdateKeyDescription', { KeyId: k.keyId, Description: k.description }), async ({ keys }) => void await keys.update(arn, (x) => ({ ...x, description: k.description ?? x.description })));
      }
      if (k.policy !== undefined && key.policy !== k.policy) {
        const policy = k.policy;
        await this.commit(kms('PutKeyPolicy', { KeyId: k.keyId, PolicyName: 'default', Policy: policy }), async ({ keys }) => void await keys.update(arn, (x) => ({ ...x, policy })));
      }
      const have = new Map(key.tags.map((t) => [t.TagKey, t.TagValue]));
      const tags = k.tags.filter((t) => have.get(t.TagKey) !== t.TagValue);
      if (tags.length > 0) {
        await this.commit(kms('TagResource', { KeyId: k.keyId, Tags: tags }), async ({ keys }) => void await keys.update(arn, (x) => ({
          ...x, tags: [...x.tags.filter((t) => !tags.some((n) => n.TagKey === t.TagKey)), ...tags.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue }))],
        })));
      }
    }
    const state = (await keyring.get(arn))?.state;
    const want = k.enabled ? 'Enabled' : 'Disabled';
    if ((state === 'Enabled' || state === 'Disabled') && state !== want) {
      await this.commit(kms(k.enabled ? 'EnableKey' : 'DisableKey', { KeyId: k.keyId }), async ({ keys }) => void await keys.update(arn, (x) => ({ ...x, state: want })));
    }
    for (const name of k.aliases) {
      const alias = await new KeySession(keyring, newUnitOfWork()).getAlias(k.accountId, k.region, name);
      if (alias?.targetKeyArn === arn) continue;
      const now = this.deps.clock.now();
      const resources = [arn, aliasArn(scope, name)];
      await this.commit({ ...kms(alias === undefined ? 'CreateAlias' : 'UpdateAlias', { AliasName: name, TargetKeyId: k.keyId }), resources }, ({ keys }) => keys.putAlias(
        { accountId: k.accountId, region: k.region, name, targetKeyArn: arn, creationDate: alias?.creationDate ?? now, lastUpdatedDate: now },
        alias === undefined ? 'absent' : 'present',
      ));
    }
    for (const g of k.grants) {
      const draft: Omit<GrantRecord, 'grantId' | 'creationDate'> = {
        keyArn: arn, ...(g.name !== undefined ? { name: g.name } : {}), granteePrincipal: g.granteePrincipal,
        ...(g.retiringPrincipal !== undefined ? { retiringPrincipal: g.retiringPrincipal } : {}),
        issuingAccount: accountRootArn(scope), operations: g.operations, ...(g.constraints !== undefined ? { constraints: g.constraints } : {}),
      };
      if ((await keyring.grantsOf(arn)).some((x) => x.name === draft.name && sameGrant(x, draft))) continue;
      const grant: GrantRecord = { ...draft, grantId: newGrantId(), creationDate: this.deps.clock.now() };
      await this.commit(kms('CreateGrant', {
        KeyId: k.keyId, GranteePrincipal: g.granteePrincipal, Operations: g.operations, ...(g.name !== undefined ? { Name: g.name } : {}),
        ...(g.retiringPrincipal !== undefined ? { RetiringPrincipal: g.retiringPrincipal } : {}), ...(g.constraints !== undefined ? { Constraints: g.constraints } : {}),
      }, { GrantId: grant.grantId }), ({ keys }) => keys.putGrant(grant));
    }
  }

  /** A new key's record and first material: the seed's fixed material held by the key store, or material it makes. */
  private async newKey(k: SeedKey, arn: string): Promise<{ key: KeyRecord; material: MaterialRecord }> {
    const { keyring, clock } = this.deps;
    const now = clock.now();
    let material: MaterialRecord;
    let publicKey: string | undefined;
    if (k.material !== undefined) {
      const checked = checkedMaterial(k.keySpec, k.material.bytes);
      try {
        const materialId = importedMaterialId(k.keyId, checked.bytes);
        material = { keyArn: arn, materialId, ...await keyring.store.hold(arn, materialId, checked.bytes), createdAt: now };
        publicKey = checked.publicKey;
      } finally {
        zero(checked.bytes);
      }
    } else {
      const made = await newKeyMaterial(new KeySession(keyring, newUnitOfWork()), arn, k.keySpec, now);
      material = made.material;
      publicKey = made.publicKey;
    }
    const key: KeyRecord = {
      arn, keyId: k.keyId, accountId: k.accountId, region: k.region, creationDate: now,
      description: k.description ?? '', keySpec: k.keySpec, keyUsage: k.keyUsage, origin: 'AWS_KMS', multiRegion: false, state: 'Enabled',
      rotation: { enabled: false, periodDays: DEFAULT_ROTATION_PERIOD_DAYS }, onDemandRotations: 0, currentMaterialId: material.materialId,
      ...(publicKey !== undefined ? { publicKey } : {}),
      policy: k.policy ?? defaultKeyPolicy(PARTITION, k.accountId),
      tags: k.tags.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue })),
    };
    return { key, material };
  }
}
