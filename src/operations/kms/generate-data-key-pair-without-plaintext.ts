/**
 * GenerateDataKeyPairWithoutPlaintext
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKeyPairWithoutPlaintext.html):
 * GenerateDataKeyPair without the plaintext private key, which is zeroed once encrypted.
 * Errors: those of GenerateDataKeyPair.
 */
import type { DataKeyPairSpec, GenerateDataKeyPairWithoutPlaintextRequest, GenerateDataKeyPairWithoutPlaintextResponse } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { generateDataKeyPair as make } from './data-key-pair.ts';

export const generateDataKeyPairWithoutPlaintext = defineOperation<GenerateDataKeyPairWithoutPlaintextRequest, GenerateDataKeyPairWithoutPlaintextResponse>(
  'GenerateDataKeyPairWithoutPlaintext',
  async (input, ctx) => {
    const { key, pair, privateKeyCiphertext } = await make(ctx, 'GenerateDataKeyPairWithoutPlaintext', input);
    pair.privateKey.fill(0);
    return {
      PrivateKeyCiphertextBlob: privateKeyCiphertext, PublicKey: pair.publicKey,
      KeyId: key.arn, KeyPairSpec: input.KeyPairSpec as DataKeyPairSpec, KeyMaterialId: key.currentMaterialId,
    };
  },
);
