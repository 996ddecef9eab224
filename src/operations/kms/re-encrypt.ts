/**
 * ReEncrypt (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html): decrypts
 * under the source key and encrypts under the destination key without the plaintext leaving
 * Coffer. Either side may be a symmetric key or an RSA ENCRYPT_DECRYPT key (with its algorithm).
 * Errors: those of Decrypt for the source and of Encrypt for the destination.
 */
import type { ReEncryptRequest, ReEncryptResponse } from '@aws-sdk/client-kms';
import { checkPlaintextSize, encryptAsymmetric, isSymmetricEncryptionKey, refuseContext } from '../../services/asymmetric.ts';
import { encryptUnder } from '../../services/symmetric.ts';
import { defineOperation } from '../context.ts';
import { ciphertextSource, ignored, openSource } from './ciphertext-source.ts';
import { checkEncryptionAlgorithm, dryRunStop, dryRunSucceeded, keyFor, requireOperationUsage, kmsFacts, resolveKey } from './common.ts';

export const reEncrypt = defineOperation<ReEncryptRequest, ReEncryptResponse>('ReEncrypt', async (input, ctx) => {
  const ignore = input.DryRun === true && (input.DryRunModifiers ?? []).includes('IGNORE_CIPHERTEXT');
  const source = await ciphertextSource(ctx, 'ReEncrypt', input.CiphertextBlob, input.SourceKeyId, input.SourceEncryptionAlgorithm, ignore, 'ciphertextBlob', {
    encryptionContext: input.SourceEncryptionContext, grantTokens: input.GrantTokens,
  });
  const dest = await keyFor(ctx, 'ReEncrypt', input.DestinationKeyId as string, true, {
    action: kmsFacts('ReEncrypt').actions[1] as string, grantOperation: 'ReEncryptTo', encryptionContext: input.DestinationEncryptionContext, grantTokens: input.GrantTokens,
    conditions: { 'kms:EncryptionAlgorithm': input.DestinationEncryptionAlgorithm ?? 'SYMMETRIC_DEFAULT', 'kms:ReEncryptOnSameKey': source.key.arn === (await resolveKey(ctx, input.DestinationKeyId as string, true)).arn },
  });
  requireOperationUsage(dest, 'ReEncrypt');
  const destAlgorithm = checkEncryptionAlgorithm(dest, input.DestinationEncryptionAlgorithm);
  const destSymmetric = isSymmetricEncryptionKey(dest);
  if (!destSymmetric) refuseContext(dest, input.DestinationEncryptionContext);
  if (ignored(source)) return dryRunSucceeded();
  const opened = await openSource(ctx, source, input.SourceEncryptionContext);
  try {
    if (!destSymmetric) checkPlaintextSize(dest, destAlgorithm, opened.plaintext.length);
    dryRunStop(input.DryRun);
    const blob = destSymmetric
      ? await encryptUnder(ctx.keyring, dest, opened.plaintext, input.DestinationEncryptionContext)
      : encryptAsymmetric(dest, destAlgorithm, opened.plaintext);
    const now = ctx.clock.now();
    ctx.usage.record(source.key.arn, 'ReEncrypt', now, ctx.requestId);
    ctx.usage.record(dest.arn, 'ReEncrypt', now, ctx.requestId);
    return {
      CiphertextBlob: blob, SourceKeyId: source.key.arn, KeyId: dest.arn,
      SourceEncryptionAlgorithm: opened.algorithm, DestinationEncryptionAlgorithm: destAlgorithm,
      ...(opened.materialId !== undefined ? { SourceKeyMaterialId: opened.materialId } : {}),
      ...(destSymmetric ? { DestinationKeyMaterialId: dest.currentMaterialId } : {}),
    };
  } finally {
    opened.plaintext.fill(0);
  }
});
