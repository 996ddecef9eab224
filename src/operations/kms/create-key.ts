/**
 * CreateKey (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html). The spec's
 * usages and default usage come from the capability table; its material (a random secret, or a
 * key pair generated off the event loop) from key-material.ts.
 * The key pair (slow for RSA) is made before the transaction that stores the key with its audit
 * record (`prepare`); that transaction only writes what was prepared.
 * Origin EXTERNAL makes a key without material, PendingImport until ImportKeyMaterial; MultiRegion
 * makes an `mrk-` primary key that ReplicateKey copies to other regions.
 * Errors: ValidationException (spec/usage rules), UnsupportedOperationException (SM2, custom key
 * stores), TagException, MalformedPolicyDocumentException, LimitExceededException.
 */
import type { CreateKeyRequest, CreateKeyResponse } from '@aws-sdk/client-kms';
import { ValidationException } from '../../errors/common-errors.ts';
import { CustomKeyStoreInvalidStateException, CustomKeyStoreNotFoundException, UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { keyArn } from '../../core/arn.ts';
import { newKeyId, newMaterialId, newMultiRegionKeyId } from '../../core/ids.ts';
import { clusterProblem, type CustomKeyStoreRecord } from '../../domain/custom-key-store.ts';
import { tokenDomainKeyId, tokenKeyRef } from '../../services/custom-key-stores.ts';
import { DEFAULT_ROTATION_PERIOD_DAYS, type KeyRecord, type MaterialRecord, type Origin } from '../../domain/key.ts';
import { capabilitiesOf, isKeySpec, type KeyUsage } from '../../domain/key-specs.ts';
import { newKeyMaterial } from '../../services/key-material.ts';
import { describe } from '../../services/multi-region.ts';
import { defaultKeyPolicy, validatePolicyDocument } from '../../policy/document.ts';
import { definePreparedOperation, type OperationContext } from '../context.ts';
import { checkTags, requestTagConditions } from './common.ts';

/** What CreateKey settles before its transaction: the whole record and its (wrapped) material. */
interface NewKey {
  readonly key: KeyRecord;
  readonly materials: readonly MaterialRecord[];
}

/**
 * A key of an AWS_CLOUDHSM store (design/hsm-tier.md §4.1): SYMMETRIC_DEFAULT and not multi-Region
 * (UnsupportedOperationException), the store CONNECTED (CustomKeyStoreInvalidStateException), its
 * cluster still ≥ 2 ACTIVE HSMs in distinct zones (CloudHsmClusterInvalidConfigurationException).
 */
async function cloudHsmStore(ctx: OperationContext, storeId: string, spec: string, multiRegion: boolean): Promise<CustomKeyStoreRecord> {
  if (spec !== 'SYMMETRIC_DEFAULT') throw new UnsupportedOperationException(`A KMS key in an AWS CloudHSM key store must be SYMMETRIC_DEFAULT (not ${spec}).`);
  if (multiRegion) throw new UnsupportedOperationException('A KMS key in an AWS CloudHSM key store cannot be a multi-Region key.');
  const store = await ctx.customKeyStores.get(storeId);
  if (store === undefined || store.accountId !== ctx.scope.accountId || store.region !== ctx.scope.region) {
    throw new CustomKeyStoreNotFoundException(`Custom key store ${storeId} does not exist.`);
  }
  if (store.state !== 'CONNECTED') {
    throw new CustomKeyStoreInvalidStateException(`Custom key store ${storeId} is ${store.state}: connect it before creating KMS keys in it.`);
  }
  const problem = clusterProblem(store.clusterId, await ctx.customKeyStores.service.view(store.accountId, store.region, store.clusterId));
  if (problem !== undefined) throw problem;
  return store;
}

/** The key's material, made in kmsuser's partition (label: the key ARN; CKA_ID: the material id), kept as the token's blob. */
async function tokenMaterial(ctx: OperationContext, store: CustomKeyStoreRecord, arn: string, now: number): Promise<{ material: MaterialRecord; publicKey?: undefined }> {
  const materialId = newMaterialId().toString('hex');
  const sessions = await ctx.customKeyStores.service.sessionsFor(store.id);
  const made = await sessions.generateAes256(tokenKeyRef(materialId), arn);
  return { material: { keyArn: arn, materialId, domainKeyId: tokenDomainKeyId(store.id), wrapped: made.blob, createdAt: now } };
}

/** Everything but the write: validation, authorization and the key material (slow for key pairs). */
async function prepare(input: CreateKeyRequest, ctx: OperationContext): Promise<NewKey> {
  if (input.KeySpec !== undefined && input.CustomerMasterKeySpec !== undefined) {
    throw new ValidationException('You cannot specify both KeySpec and CustomerMasterKeySpec. CustomerMasterKeySpec is deprecated; use KeySpec.');
  }
  const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
  if (!isKeySpec(spec)) throw new UnsupportedOperationException(`KeySpec ${spec} is not supported.`);
  const caps = capabilitiesOf(spec);
  const usage = (input.KeyUsage ?? caps.defaultUsage) as KeyUsage | undefined;
  if (usage === undefined) {
    throw new ValidationException('You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
  }
  if (!caps.usages.includes(usage)) throw new ValidationException(`KeyUsage ${usage} is not compatible with KeySpec ${spec}`);
  if (!caps.implemented) throw new UnsupportedOperationException(caps.unsupported ?? `Coffer does not support KeySpec ${spec}.`);
  const origin: Origin = input.Origin ?? 'AWS_KMS';
  const multiRegion = input.MultiRegion === true;
  if (origin === 'EXTERNAL_KEY_STORE' || input.XksKeyId !== undefined) {
    throw new UnsupportedOperationException('Coffer does not support EXTERNAL_KEY_STORE custom key stores yet.');
  }
  const storeId = input.CustomKeyStoreId;
  if (storeId !== undefined && origin !== 'AWS_CLOUDHSM') {
    throw new ValidationException(`A KMS key in custom key store ${storeId} must have Origin AWS_CLOUDHSM (Origin is ${origin}).`);
  }
  if (origin === 'AWS_CLOUDHSM' && storeId === undefined) throw new ValidationException('CustomKeyStoreId is required when Origin is AWS_CLOUDHSM.');
  const tags = input.Tags ?? [];
  checkTags(tags);
  const bypass = input.BypassPolicyLockoutSafetyCheck === true;
  await ctx.authorizeAccount('kms:CreateKey', '*', {
    'kms:KeySpec': spec, 'kms:KeyUsage': usage, 'kms:KeyOrigin': origin, 'kms:MultiRegion': multiRegion,
    ...(multiRegion ? { 'kms:MultiRegionKeyType': 'PRIMARY' } : {}),
    'kms:CustomerMasterKeySpec': spec, 'kms:CustomerMasterKeyUsage': usage, 'kms:BypassPolicyLockoutSafetyCheck': bypass,
    ...requestTagConditions(tags),
  });
  if (tags.length > 0) await ctx.authorizeAccount('kms:TagResource', '*', requestTagConditions(tags));
  const store = storeId === undefined ? undefined : await cloudHsmStore(ctx, storeId, spec, multiRegion);
  const policy = input.Policy ?? defaultKeyPolicy(ctx.scope.partition, ctx.scope.accountId);
  validatePolicyDocument(policy);

  const now = ctx.clock.now();
  const keyId = multiRegion ? newMultiRegionKeyId() : newKeyId();
  const arn = keyArn(ctx.scope, keyId);
  if (input.Policy !== undefined && !bypass) await ctx.checkLockout(policy, arn);
  // Key pairs are generated off the event loop (RSA takes long); nothing is stored until they exist.
  // An EXTERNAL key has no material until ImportKeyMaterial.
  const made = origin === 'EXTERNAL' ? undefined
    : store !== undefined ? await tokenMaterial(ctx, store, arn, now)
    : await newKeyMaterial(ctx.keyring, arn, spec, now);
  const key: KeyRecord = {
    arn, keyId, accountId: ctx.scope.accountId, region: ctx.scope.region, creationDate: now,
    description: input.Description ?? '', keySpec: spec, keyUsage: usage, origin, multiRegion,
    state: made ? 'Enabled' : 'PendingImport',
    rotation: { enabled: false, periodDays: DEFAULT_ROTATION_PERIOD_DAYS }, onDemandRotations: 0,
    currentMaterialId: made?.material.materialId ?? '', ...(made?.publicKey !== undefined ? { publicKey: made.publicKey } : {}),
    policy, tags: tags.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue })),
    ...(multiRegion ? { multiRegionKeyType: 'PRIMARY' as const } : {}),
    ...(made ? {} : { importedMaterials: [] }),
    ...(store !== undefined ? { customKeyStoreId: store.id, cloudHsmClusterId: store.clusterId } : {}),
  };
  return { key, materials: made ? [made.material] : [] };
}

export const createKey = definePreparedOperation<CreateKeyRequest, NewKey, CreateKeyResponse>('CreateKey', {
  prepare,
  run: async (_input, ctx, { key, materials }) => {
    ctx.keyring.create(key, materials);
    return { KeyMetadata: await describe(ctx.keyring, key) };
  },
});
