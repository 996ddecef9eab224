/**
 * GetPublicKey (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetPublicKey.html): the
 * DER SubjectPublicKeyInfo of an asymmetric key, with its KeySpec, KeyUsage and the algorithm list
 * of that usage. As AWS does (reference §3.5, LocalStack's AWS-validated recording), it answers
 * for a Disabled key too: the key-state table's GetPublicKey row allows Disabled.
 * Errors: NotFoundException, KMSInvalidStateException, UnsupportedOperationException (symmetric
 * and HMAC keys have no public key).
 */
import type { CustomerMasterKeySpec, GetPublicKeyRequest, GetPublicKeyResponse } from '@aws-sdk/client-kms';
import { UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { algorithmLists, publicKeyOf } from '../../domain/key.ts';
import { capabilitiesOf } from '../../domain/key-specs.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const getPublicKey = defineOperation<GetPublicKeyRequest, GetPublicKeyResponse>('GetPublicKey', async (input, ctx) => {
  const key = await keyFor(ctx, 'GetPublicKey', input.KeyId as string, true, { grantTokens: input.GrantTokens });
  const caps = capabilitiesOf(key.keySpec);
  if (caps.material.kind !== 'pair') {
    throw new UnsupportedOperationException(`${key.arn} key spec is ${key.keySpec} which is not valid for GetPublicKey.`);
  }
  return {
    KeyId: key.arn,
    PublicKey: publicKeyOf(key),
    KeySpec: key.keySpec,
    ...(caps.legacySpec ? { CustomerMasterKeySpec: key.keySpec as CustomerMasterKeySpec } : {}),
    KeyUsage: key.keyUsage,
    ...algorithmLists(key),
  };
});
