/**
 * Decrypt (https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html). KeyId is
 * optional for symmetric ciphertexts: the blob names its key and version. An RSA ciphertext (raw
 * RSAES-OAEP, also made outside Coffer with the public key) needs KeyId and EncryptionAlgorithm.
 * Errors: InvalidCiphertextException (one fixed, empty message for every failure),
 * AccessDeniedException (the blob names a key this region does not have, with AWS's message),
 * IncorrectKeyException, NotFoundException, DisabledException, KMSInvalidStateException,
 * InvalidKeyUsageException, ValidationException (context with an asymmetric key),
 * DryRunOperationException, UnsupportedOperationException (Recipient: attested decryption is not supported).
 */
import type { DecryptRequest, DecryptResponse } from '@aws-sdk/client-kms';
import { UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { defineOperation } from '../context.ts';
import { ciphertextSource, ignored, openSource } from './ciphertext-source.ts';
import { dryRunSucceeded } from './common.ts';

export const decrypt = defineOperation<DecryptRequest, DecryptResponse>('Decrypt', async (input, ctx) => {
  if (input.Recipient !== undefined) throw new UnsupportedOperationException('Coffer does not support Recipient (attested decryption).');
  const ignore = input.DryRun === true && (input.DryRunModifiers ?? []).includes('IGNORE_CIPHERTEXT');
  const source = await ciphertextSource(ctx, 'Decrypt', input.CiphertextBlob, input.KeyId, input.EncryptionAlgorithm, ignore, 'ciphertextBlob', {
    encryptionContext: input.EncryptionContext, grantTokens: input.GrantTokens,
  });
  if (ignored(source)) return dryRunSucceeded();
  const { plaintext, algorithm, materialId } = await openSource(ctx, source, input.EncryptionContext);
  if (input.DryRun === true) {
    plaintext.fill(0);
    return dryRunSucceeded();
  }
  ctx.usage.record(source.key.arn, 'Decrypt', ctx.clock.now(), ctx.requestId);
  return { KeyId: source.key.arn, Plaintext: plaintext, EncryptionAlgorithm: algorithm, ...(materialId !== undefined ? { KeyMaterialId: materialId } : {}) };
});
