/**
 * Decrypt (https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html). KeyId is
 * optional: the blob names its key and version. Errors: InvalidCiphertextException (one fixed,
 * empty message for every failure), IncorrectKeyException, NotFoundException, DisabledException,
 * KMSInvalidStateException, InvalidKeyUsageException, DryRunOperationException,
 * UnsupportedOperationException (Recipient: attested decryption is not supported).
 */
import type { DecryptRequest, DecryptResponse } from '@aws-sdk/client-kms';
import { UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { decryptWith } from '../../domain/symmetric.ts';
import { defineOperation } from '../context.ts';
import { ciphertextSource } from './ciphertext-source.ts';
import { dryRunSucceeded } from './common.ts';

export const decrypt = defineOperation<DecryptRequest, DecryptResponse>('Decrypt', (input, ctx) => {
  if (input.Recipient !== undefined) throw new UnsupportedOperationException('Coffer does not support Recipient (attested decryption).');
  const ignore = input.DryRun === true && (input.DryRunModifiers ?? []).includes('IGNORE_CIPHERTEXT');
  const { key, parts } = ciphertextSource(ctx, 'Decrypt', input.CiphertextBlob, input.KeyId, input.EncryptionAlgorithm, ignore, 'ciphertextBlob', {
    action: 'kms:Decrypt', grantOperation: 'Decrypt', encryptionContext: input.EncryptionContext, grantTokens: input.GrantTokens,
  });
  if (parts === undefined) return dryRunSucceeded();
  const { plaintext, materialId } = decryptWith(ctx.keyring, key, parts, input.EncryptionContext);
  if (input.DryRun === true) {
    plaintext.fill(0);
    return dryRunSucceeded();
  }
  ctx.usage.record(key.arn, 'Decrypt', ctx.clock.now(), ctx.requestId);
  return { KeyId: key.arn, Plaintext: plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', KeyMaterialId: materialId };
});
