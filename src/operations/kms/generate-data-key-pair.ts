/**
 * GenerateDataKeyPair (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKeyPair.html):
 * a fresh RSA, ECC or Ed25519 key pair: the public key (DER SPKI), the private key (DER PKCS#8)
 * in plaintext and encrypted under a symmetric key as Encrypt would.
 * Errors: those of Encrypt, UnsupportedOperationException (SM2, Recipient), DryRunOperationException.
 */
import type { DataKeyPairSpec, GenerateDataKeyPairRequest, GenerateDataKeyPairResponse } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { generateDataKeyPair as make } from './data-key-pair.ts';

export const generateDataKeyPair = defineOperation<GenerateDataKeyPairRequest, GenerateDataKeyPairResponse>('GenerateDataKeyPair', async (input, ctx) => {
  const { key, pair, privateKeyCiphertext } = await make(ctx, 'GenerateDataKeyPair', input);
  return {
    PrivateKeyCiphertextBlob: privateKeyCiphertext, PrivateKeyPlaintext: pair.privateKey, PublicKey: pair.publicKey,
    KeyId: key.arn, KeyPairSpec: input.KeyPairSpec as DataKeyPairSpec, KeyMaterialId: key.currentMaterialId,
  };
});
