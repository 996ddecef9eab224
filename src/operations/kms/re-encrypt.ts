/**
 * ReEncrypt (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html): decrypts
 * under the source key and encrypts under the destination key without the plaintext leaving
 * Coffer. Errors: those of Decrypt for the source and of Encrypt for the destination.
 */
import type { ReEncryptRequest, ReEncryptResponse } from '@aws-sdk/client-kms';
import { decryptWith, encryptUnder } from '../../domain/symmetric.ts';
import { defineOperation } from '../context.ts';
import { ciphertextSource } from './ciphertext-source.ts';
import { checkEncryptionAlgorithm, dryRunStop, dryRunSucceeded, keyFor, requireSymmetricEncryption } from './common.ts';

export const reEncrypt = defineOperation<ReEncryptRequest, ReEncryptResponse>('ReEncrypt', (input, ctx) => {
  const ignore = input.DryRun === true && (input.DryRunModifiers ?? []).includes('IGNORE_CIPHERTEXT');
  const source = ciphertextSource(ctx, 'ReEncrypt', input.CiphertextBlob, input.SourceKeyId, input.SourceEncryptionAlgorithm, ignore, 'ciphertextBlob', {
    action: 'kms:ReEncryptFrom', grantOperation: 'ReEncryptFrom', encryptionContext: input.SourceEncryptionContext, grantTokens: input.GrantTokens,
  });
  const dest = keyFor(ctx, 'ReEncrypt', input.DestinationKeyId as string, true, {
    action: 'kms:ReEncryptTo', grantOperation: 'ReEncryptTo', encryptionContext: input.DestinationEncryptionContext, grantTokens: input.GrantTokens,
    conditions: { 'kms:EncryptionAlgorithm': input.DestinationEncryptionAlgorithm ?? 'SYMMETRIC_DEFAULT', 'kms:ReEncryptOnSameKey': source.key.arn === ctx.keyring.resolve(ctx.scope, input.DestinationKeyId as string, { aliases: true }).arn },
  });
  requireSymmetricEncryption(dest, 'ReEncrypt');
  checkEncryptionAlgorithm(dest, input.DestinationEncryptionAlgorithm);
  if (source.parts === undefined) return dryRunSucceeded();
  const { plaintext, materialId } = decryptWith(ctx.keyring, source.key, source.parts, input.SourceEncryptionContext);
  try {
    dryRunStop(input.DryRun);
    const blob = encryptUnder(ctx.keyring, dest, plaintext, input.DestinationEncryptionContext);
    const now = ctx.clock.now();
    ctx.usage.record(source.key.arn, 'ReEncrypt', now, ctx.requestId);
    ctx.usage.record(dest.arn, 'ReEncrypt', now, ctx.requestId);
    return {
      CiphertextBlob: blob, SourceKeyId: source.key.arn, KeyId: dest.arn,
      SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT', DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      SourceKeyMaterialId: materialId, DestinationKeyMaterialId: dest.currentMaterialId,
    };
  } finally {
    plaintext.fill(0);
  }
});
