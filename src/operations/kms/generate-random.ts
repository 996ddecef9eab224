/**
 * GenerateRandom (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateRandom.html).
 * NumberOfBytes 1..1024, required in practice. Errors: ValidationException,
 * CustomKeyStoreNotFoundException, CustomKeyStoreInvalidStateException (with CustomKeyStoreId: the
 * bytes then come from the store's cluster, C_GenerateRandom), UnsupportedOperationException (Recipient).
 */
import type { GenerateRandomRequest, GenerateRandomResponse } from '@aws-sdk/client-kms';
import { ValidationException } from '../../errors/common-errors.ts';
import { CustomKeyStoreInvalidStateException, CustomKeyStoreNotFoundException, UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { randomBytes } from '../../crypto/bytes.ts';
import { defineOperation } from '../context.ts';

export const generateRandom = defineOperation<GenerateRandomRequest, GenerateRandomResponse>('GenerateRandom', async (input, ctx) => {
  await ctx.authorizeAccount('kms:GenerateRandom', '*');
  if (input.NumberOfBytes === undefined) throw new ValidationException('NumberOfBytes is required.');
  if (input.Recipient !== undefined) throw new UnsupportedOperationException('Coffer does not support Recipient (attested decryption).');
  if (input.CustomKeyStoreId !== undefined) {
    const store = await ctx.customKeyStores.get(input.CustomKeyStoreId);
    if (store === undefined || store.accountId !== ctx.scope.accountId || store.region !== ctx.scope.region) {
      throw new CustomKeyStoreNotFoundException(`Custom key store ${input.CustomKeyStoreId} does not exist.`);
    }
    if (store.state !== 'CONNECTED') {
      throw new CustomKeyStoreInvalidStateException(`Custom key store ${store.id} is ${store.state}: connect it first.`);
    }
    return { Plaintext: await (await ctx.customKeyStores.service.sessionsFor(store.id)).random(input.NumberOfBytes) };
  }
  return { Plaintext: randomBytes(input.NumberOfBytes) };
});
