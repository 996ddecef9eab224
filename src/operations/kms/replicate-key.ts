/**
 * ReplicateKey (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html).
 * Creates the replica of a multi-Region primary key in another region Coffer serves: the same key
 * id, spec, usage, origin, rotation settings and key material (wrapped again under the replica's
 * ARN), with its own policy (AWS's default key policy unless given), description and tags.
 * Needs kms:ReplicateKey on the primary and kms:CreateKey (and kms:TagResource with Tags) from IAM.
 * Deliberate difference: the replica is ready when the answer is sent, so its state is Enabled
 * (PendingImport for EXTERNAL keys) rather than AWS's transient Creating.
 * Errors: NotFoundException, DisabledException, KMSInvalidStateException, AlreadyExistsException
 * (a key of the set is already in that region, the primary's own included),
 * UnsupportedOperationException (not a multi-Region primary key; a region Coffer does not serve),
 * MalformedPolicyDocumentException, TagException.
 */
import type { ReplicateKeyRequest, ReplicateKeyResponse } from '@aws-sdk/client-kms';
import { keyArn } from '../../core/arn.ts';
import { AlreadyExistsException, UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { describe, newReplica } from '../../services/multi-region.ts';
import { defaultKeyPolicy, validatePolicyDocument } from '../../policy/document.ts';
import { defineOperation } from '../context.ts';
import { checkTags, keyFor, requestTagConditions } from './common.ts';
import { describeRegions, servesRegion } from '../../core/regions.ts';

export const replicateKey = defineOperation<ReplicateKeyRequest, ReplicateKeyResponse>('ReplicateKey', async (input, ctx) => {
  const region = input.ReplicaRegion as string;
  const tags = input.Tags ?? [];
  checkTags(tags);
  const bypass = input.BypassPolicyLockoutSafetyCheck === true;
  const primary = await keyFor(ctx, 'ReplicateKey', input.KeyId as string, false, { conditions: { 'kms:ReplicaRegion': region } });
  if (primary.multiRegionKeyType !== 'PRIMARY') throw new UnsupportedOperationException(`${primary.arn} is not a multi-region primary key.`);
  if (!servesRegion(ctx.regions, region)) {
    throw new UnsupportedOperationException(`Region ${region} is not enabled in this Coffer (COFFER_REGIONS: ${describeRegions(ctx.regions)}).`);
  }
  const arn = keyArn({ ...ctx.scope, region }, primary.keyId);
  if (await ctx.keyring.get(arn)) throw new AlreadyExistsException(`A key with ARN ${arn} already exists: ${primary.keyId} already has a key in ${region}.`);
  await ctx.authorizeAccount('kms:CreateKey', '*', {
    'kms:KeySpec': primary.keySpec, 'kms:KeyUsage': primary.keyUsage, 'kms:KeyOrigin': primary.origin, 'kms:MultiRegion': true,
    'kms:MultiRegionKeyType': 'REPLICA', 'kms:CustomerMasterKeySpec': primary.keySpec, 'kms:CustomerMasterKeyUsage': primary.keyUsage,
    'kms:BypassPolicyLockoutSafetyCheck': bypass, ...requestTagConditions(tags),
  });
  if (tags.length > 0) await ctx.authorizeAccount('kms:TagResource', '*', requestTagConditions(tags));
  const policy = input.Policy ?? defaultKeyPolicy(ctx.scope.partition, ctx.scope.accountId);
  validatePolicyDocument(policy);
  if (input.Policy !== undefined && !bypass) await ctx.checkLockout(policy, arn);

  const replicaTags = tags.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue }));
  const { key, materials } = await newReplica(ctx.keyring, primary, region, { policy, description: input.Description ?? '', tags: replicaTags });
  ctx.keyring.create(key, materials);
  return { ReplicaKeyMetadata: await describe(ctx.keyring, key), ReplicaPolicy: policy, ReplicaTags: replicaTags };
});
