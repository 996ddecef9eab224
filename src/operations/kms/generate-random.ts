/**
 * GenerateRandom (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateRandom.html).
 * NumberOfBytes 1..1024, required in practice. Errors: ValidationException,
 * CustomKeyStoreNotFoundException (no custom key stores exist yet), UnsupportedOperationException (Recipient).
 */
import type { GenerateRandomRequest, GenerateRandomResponse } from '@aws-sdk/client-kms';
import { ValidationException } from '../../errors/common-errors.ts';
import { CustomKeyStoreNotFoundException, UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { randomBytes } from '../../crypto/bytes.ts';
import { defineOperation } from '../context.ts';

export const generateRandom = defineOperation<GenerateRandomRequest, GenerateRandomResponse>('GenerateRandom', async (input, ctx) => {
  await ctx.authorizeAccount('kms:GenerateRandom', '*');
  if (input.NumberOfBytes === undefined) throw new ValidationException('NumberOfBytes is required.');
  if (input.Recipient !== undefined) throw new UnsupportedOperationException('Coffer does not support Recipient (attested decryption).');
  if (input.CustomKeyStoreId !== undefined) {
    throw new CustomKeyStoreNotFoundException(`Custom key store ${input.CustomKeyStoreId} does not exist.`);
  }
  return { Plaintext: randomBytes(input.NumberOfBytes) };
});
