/**
 * GenerateDataKeyWithoutPlaintext
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKeyWithoutPlaintext.html).
 * Errors: those of GenerateDataKey.
 */
import type { GenerateDataKeyWithoutPlaintextRequest, GenerateDataKeyWithoutPlaintextResponse } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { generateDataKey as make } from './data-key.ts';

export const generateDataKeyWithoutPlaintext = defineOperation<GenerateDataKeyWithoutPlaintextRequest, GenerateDataKeyWithoutPlaintextResponse>(
  'GenerateDataKeyWithoutPlaintext',
  async (input, ctx) => {
    const { key, plaintext, ciphertext } = await make(ctx, 'GenerateDataKeyWithoutPlaintext', input);
    plaintext.fill(0);
    return { CiphertextBlob: ciphertext, KeyId: key.arn, KeyMaterialId: key.currentMaterialId };
  },
);
