/**
 * GetParametersForImport (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetParametersForImport.html).
 * A fresh RSA wrapping key pair (RSA_2048, RSA_3072 or RSA_4096, generated off the event loop)
 * and an import token valid for 24 hours. Coffer stores neither: the token carries the wrapping
 * private key sealed by the key store and bound to this key (domain/import-parameters.ts).
 * Errors: NotFoundException, KMSInvalidStateException, UnsupportedOperationException (not an
 * EXTERNAL key; SM2 wrapping, which AWS offers only in China, and the retired RSAES_PKCS1_V1_5),
 * ValidationException (an RSAES_OAEP algorithm for material it cannot carry: RSA private keys,
 * and ECC_NIST_P521 keys under RSA_2048, as AWS documents).
 */
import type { GetParametersForImportRequest, GetParametersForImportResponse } from '@aws-sdk/client-kms';
import { ValidationException } from '../../errors/common-errors.ts';
import { UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { IMPORT_WRAPPING, isImportWrappingAlgorithm } from '../../crypto/import-wrap.ts';
import { issueImportParameters, WRAPPING_KEY_BITS, type WrappingKeySpec } from '../../services/import-parameters.ts';
import { capabilitiesOf } from '../../domain/key-specs.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { requireExternal } from './import-checks.ts';

const isWrappingKeySpec = (s: string): s is WrappingKeySpec => Object.hasOwn(WRAPPING_KEY_BITS, s);

export const getParametersForImport = defineOperation<GetParametersForImportRequest, GetParametersForImportResponse>('GetParametersForImport', async (input, ctx) => {
  const algorithm = input.WrappingAlgorithm as string;
  const spec = input.WrappingKeySpec as string;
  const key = await keyFor(ctx, 'GetParametersForImport', input.KeyId as string, false, {
    conditions: { 'kms:WrappingAlgorithm': algorithm, 'kms:WrappingKeySpec': spec },
  });
  requireExternal(key);
  if (!isImportWrappingAlgorithm(algorithm)) {
    throw new UnsupportedOperationException(`WrappingAlgorithm ${algorithm} is not supported: use RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.`);
  }
  if (!isWrappingKeySpec(spec)) {
    throw new UnsupportedOperationException(`WrappingKeySpec ${spec} is not supported: use RSA_2048, RSA_3072 or RSA_4096.`);
  }
  const material = capabilitiesOf(key.keySpec).material;
  if (!IMPORT_WRAPPING[algorithm].aesKeyWrap && material.kind === 'pair') {
    if (material.pair.type === 'rsa') {
      throw new ValidationException(`${algorithm} cannot wrap RSA private keys: use RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.`);
    }
    if (material.pair.type === 'ec' && material.pair.curve === 'P-521' && spec === 'RSA_2048') {
      throw new ValidationException(`${algorithm} with an RSA_2048 wrapping key cannot wrap ECC_NIST_P521 key material: use a longer wrapping key or an RSA_AES_KEY_WRAP algorithm.`);
    }
  }
  const issued = await issueImportParameters(ctx.keyring, key.arn, algorithm, spec);
  return { KeyId: key.arn, ImportToken: issued.importToken, PublicKey: issued.publicKey, ParametersValidTo: new Date(issued.validTo) };
});
