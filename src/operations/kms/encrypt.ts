/**
 * Encrypt (https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html): up to 4096
 * bytes under a symmetric key, bound to the encryption context.
 * Errors: NotFoundException, DisabledException, KMSInvalidStateException, InvalidKeyUsageException,
 * DryRunOperationException.
 */
import type { EncryptRequest, EncryptResponse } from '@aws-sdk/client-kms';
import { encryptUnder } from '../../domain/symmetric.ts';
import { defineOperation } from '../context.ts';
import { checkEncryptionAlgorithm, dryRunStop, keyFor, requireSymmetricEncryption } from './common.ts';

export const encrypt = defineOperation<EncryptRequest, EncryptResponse>('Encrypt', (input, ctx) => {
  const key = keyFor(ctx, 'Encrypt', input.KeyId as string, true, {
    grantOperation: 'Encrypt', encryptionContext: input.EncryptionContext, grantTokens: input.GrantTokens,
    conditions: { 'kms:EncryptionAlgorithm': input.EncryptionAlgorithm ?? 'SYMMETRIC_DEFAULT' },
  });
  requireSymmetricEncryption(key, 'Encrypt');
  checkEncryptionAlgorithm(key, input.EncryptionAlgorithm);
  dryRunStop(input.DryRun);
  const blob = encryptUnder(ctx.keyring, key, input.Plaintext as Buffer, input.EncryptionContext);
  ctx.usage.record(key.arn, 'Encrypt', ctx.clock.now(), ctx.requestId);
  return { CiphertextBlob: blob, KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
});
