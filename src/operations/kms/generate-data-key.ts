/**
 * GenerateDataKey (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html):
 * a random data key, in plaintext and encrypted as Encrypt would. Exactly one of KeySpec or
 * NumberOfBytes. Errors: those of Encrypt, ValidationException, UnsupportedOperationException (Recipient).
 */
import type { GenerateDataKeyRequest, GenerateDataKeyResponse } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { generateDataKey as make } from './data-key.ts';

export const generateDataKey = defineOperation<GenerateDataKeyRequest, GenerateDataKeyResponse>('GenerateDataKey', async (input, ctx) => {
  const { key, plaintext, ciphertext } = await make(ctx, 'GenerateDataKey', input);
  return { CiphertextBlob: ciphertext, Plaintext: plaintext, KeyId: key.arn, KeyMaterialId: key.currentMaterialId };
});
