/**
 * Encrypt (https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html): up to 4096
 * bytes under a symmetric key, bound to the encryption context; or, under an RSA ENCRYPT_DECRYPT
 * key, RSAES-OAEP with the EncryptionAlgorithm the request must name, up to the algorithm's
 * plaintext limit for the key size (no encryption context).
 * Errors: NotFoundException, DisabledException, KMSInvalidStateException, InvalidKeyUsageException
 * (usage, or an algorithm the spec lacks), ValidationException (plaintext too large, context with
 * an asymmetric key), DryRunOperationException.
 */
import type { EncryptRequest, EncryptResponse } from '@aws-sdk/client-kms';
import { checkPlaintextSize, encryptAsymmetric, isSymmetricEncryptionKey, refuseContext } from '../../services/asymmetric.ts';
import { encryptUnder } from '../../services/symmetric.ts';
import { defineOperation } from '../context.ts';
import { checkEncryptionAlgorithm, dryRunStop, keyFor, requireOperationUsage } from './common.ts';

export const encrypt = defineOperation<EncryptRequest, EncryptResponse>('Encrypt', async (input, ctx) => {
  const key = await keyFor(ctx, 'Encrypt', input.KeyId as string, true, {
    encryptionContext: input.EncryptionContext, grantTokens: input.GrantTokens,
    conditions: { 'kms:EncryptionAlgorithm': input.EncryptionAlgorithm ?? 'SYMMETRIC_DEFAULT' },
  });
  requireOperationUsage(key, 'Encrypt');
  const algorithm = checkEncryptionAlgorithm(key, input.EncryptionAlgorithm);
  const plaintext = input.Plaintext as Buffer;
  const symmetric = isSymmetricEncryptionKey(key);
  if (!symmetric) {
    refuseContext(key, input.EncryptionContext);
    checkPlaintextSize(key, algorithm, plaintext.length);
  }
  dryRunStop(input.DryRun);
  const blob = symmetric
    ? await encryptUnder(ctx.keyring, key, plaintext, input.EncryptionContext)
    : encryptAsymmetric(key, algorithm, plaintext);
  ctx.usage.record(key.arn, 'Encrypt', ctx.clock.now(), ctx.requestId);
  return { CiphertextBlob: blob, KeyId: key.arn, EncryptionAlgorithm: algorithm };
});
