/** The data-key rules GenerateDataKey and GenerateDataKeyWithoutPlaintext share. */
import { ValidationException } from '../../errors/common-errors.ts';
import { UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { randomBytes } from '../../crypto/bytes.ts';
import { encryptUnder } from '../../services/symmetric.ts';
import type { OperationContext } from '../context.ts';
import { dryRunStop, keyFor, requireSymmetricEncryption } from './common.ts';

const SPEC_BYTES: Readonly<Record<string, number>> = { AES_128: 16, AES_256: 32 };

export interface DataKeyInput {
  KeyId?: string | undefined;
  KeySpec?: string | undefined;
  NumberOfBytes?: number | undefined;
  EncryptionContext?: Record<string, string> | undefined;
  DryRun?: boolean | undefined;
  GrantTokens?: string[] | undefined;
  Recipient?: object | undefined;
}

export async function generateDataKey(ctx: OperationContext, operation: string, input: DataKeyInput) {
  if (input.Recipient !== undefined) throw new UnsupportedOperationException('Coffer does not support Recipient (attested decryption).');
  if ((input.KeySpec === undefined) === (input.NumberOfBytes === undefined)) {
    throw new ValidationException('Please specify either number of bytes or key spec.');
  }
  const bytes = input.NumberOfBytes ?? SPEC_BYTES[input.KeySpec as string] ?? 32;
  const key = await keyFor(ctx, operation, input.KeyId as string, true, {
    encryptionContext: input.EncryptionContext, grantTokens: input.GrantTokens,
    conditions: { 'kms:EncryptionAlgorithm': 'SYMMETRIC_DEFAULT' },
  });
  requireSymmetricEncryption(key, operation);
  dryRunStop(input.DryRun);
  // A key of an AWS_CLOUDHSM store draws the data key from its cluster's token (C_GenerateRandom).
  const plaintext = key.customKeyStoreId === undefined ? randomBytes(bytes)
    : await (await ctx.customKeyStores.service.sessionsFor(key.customKeyStoreId)).random(bytes);
  const ciphertext = await encryptUnder(ctx.keyring, key, plaintext, input.EncryptionContext);
  ctx.usage.record(key.arn, operation, ctx.clock.now(), ctx.requestId);
  return { key, plaintext, ciphertext };
}
