/**
 * Sign, Verify, GenerateMac, VerifyMac, DeriveSharedSecret and GetPublicKey need asymmetric or
 * HMAC keys, which arrive with their own issue. Until then every key is symmetric, so these
 * answer what AWS answers for a symmetric key: the key-state error, else InvalidKeyUsageException
 * (UnsupportedOperationException for GetPublicKey).
 */
import { InvalidKeyUsageException, UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { defineOperation, type Operation } from '../context.ts';
import { keyFor } from './common.ts';

const wrongUsage = (name: string): Operation =>
  defineOperation<{ KeyId?: string | undefined; GrantTokens?: string[] | undefined }, undefined>(name, (input, ctx) => {
    const key = keyFor(ctx, name, input.KeyId as string, true, { grantOperation: name, grantTokens: input.GrantTokens });
    if (name === 'GetPublicKey') throw new UnsupportedOperationException(`${key.arn} key spec is ${key.keySpec} which is not valid for GetPublicKey.`);
    throw new InvalidKeyUsageException(`${key.arn} key usage is ${key.keyUsage} which is not valid for ${name}.`);
  });

export const keyUsageOnlyOperations: readonly Operation[] = [
  'Sign', 'Verify', 'GenerateMac', 'VerifyMac', 'DeriveSharedSecret', 'GetPublicKey',
].map(wrongUsage);
