/** Every operation Coffer answers, keyed by its AWS name. */
import type { Operation } from './context.ts';
import { cancelKeyDeletion } from './kms/cancel-key-deletion.ts';
import { createAlias } from './kms/create-alias.ts';
import { createGrant } from './kms/create-grant.ts';
import { listGrants } from './kms/list-grants.ts';
import { listRetirableGrants } from './kms/list-retirable-grants.ts';
import { retireGrant } from './kms/retire-grant.ts';
import { revokeGrant } from './kms/revoke-grant.ts';
import { createKey } from './kms/create-key.ts';
import { deleteImportedKeyMaterial } from './kms/delete-imported-key-material.ts';
import { decrypt } from './kms/decrypt.ts';
import { deriveSharedSecret } from './kms/derive-shared-secret.ts';
import { deleteAlias } from './kms/delete-alias.ts';
import { describeKey } from './kms/describe-key.ts';
import { disableKey } from './kms/disable-key.ts';
import { disableKeyRotation } from './kms/disable-key-rotation.ts';
import { enableKey } from './kms/enable-key.ts';
import { enableKeyRotation } from './kms/enable-key-rotation.ts';
import { encrypt } from './kms/encrypt.ts';
import { generateDataKey } from './kms/generate-data-key.ts';
import { generateDataKeyPair } from './kms/generate-data-key-pair.ts';
import { generateDataKeyPairWithoutPlaintext } from './kms/generate-data-key-pair-without-plaintext.ts';
import { generateMac } from './kms/generate-mac.ts';
import { generateDataKeyWithoutPlaintext } from './kms/generate-data-key-without-plaintext.ts';
import { generateRandom } from './kms/generate-random.ts';
import { getKeyLastUsage } from './kms/get-key-last-usage.ts';
import { getKeyPolicy } from './kms/get-key-policy.ts';
import { getKeyRotationStatus } from './kms/get-key-rotation-status.ts';
import { getParametersForImport } from './kms/get-parameters-for-import.ts';
import { getPublicKey } from './kms/get-public-key.ts';
import { importKeyMaterial } from './kms/import-key-material.ts';
import { listAliases } from './kms/list-aliases.ts';
import { listKeyPolicies } from './kms/list-key-policies.ts';
import { listKeyRotations } from './kms/list-key-rotations.ts';
import { listKeys } from './kms/list-keys.ts';
import { listResourceTags } from './kms/list-resource-tags.ts';
import { customKeyStoreOperations } from './kms/custom-key-stores.ts';
import { putKeyPolicy } from './kms/put-key-policy.ts';
import { reEncrypt } from './kms/re-encrypt.ts';
import { replicateKey } from './kms/replicate-key.ts';
import { rotateKeyOnDemand } from './kms/rotate-key-on-demand.ts';
import { scheduleKeyDeletion } from './kms/schedule-key-deletion.ts';
import { sign } from './kms/sign.ts';
import { tagResource } from './kms/tag-resource.ts';
import { untagResource } from './kms/untag-resource.ts';
import { updateAlias } from './kms/update-alias.ts';
import { updateKeyDescription } from './kms/update-key-description.ts';
import { updatePrimaryRegion } from './kms/update-primary-region.ts';
import { verify } from './kms/verify.ts';
import { verifyMac } from './kms/verify-mac.ts';

const implemented: readonly Operation[] = [
  createKey, describeKey, listKeys, enableKey, disableKey, updateKeyDescription, scheduleKeyDeletion,
  cancelKeyDeletion, getKeyLastUsage, createAlias, updateAlias, deleteAlias, listAliases, tagResource,
  untagResource, listResourceTags, encrypt, decrypt, reEncrypt, generateDataKey, generateDataKeyWithoutPlaintext,
  generateRandom, enableKeyRotation, disableKeyRotation, getKeyRotationStatus, rotateKeyOnDemand, listKeyRotations,
  getKeyPolicy, putKeyPolicy, listKeyPolicies, createGrant, listGrants, listRetirableGrants, retireGrant, revokeGrant,
  sign, verify, getPublicKey, generateMac, verifyMac, deriveSharedSecret, generateDataKeyPair, generateDataKeyPairWithoutPlaintext,
  getParametersForImport, importKeyMaterial, deleteImportedKeyMaterial, replicateKey, updatePrimaryRegion,
  ...customKeyStoreOperations,
];

export const KMS_OPERATIONS: ReadonlyMap<string, Operation> = new Map(
  implemented.map((op) => [op.name, op]),
);

export const IMPLEMENTED_OPERATIONS: readonly string[] = implemented.map((o) => o.name).sort();
