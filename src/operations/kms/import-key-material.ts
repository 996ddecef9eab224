/**
 * ImportKeyMaterial (https://docs.aws.amazon.com/kms/latest/APIReference/API_ImportKeyMaterial.html).
 * Opens the import token (it must be this key's, within its 24 hours), unwraps the material with
 * the token's wrapping key and algorithm, checks it against the key spec (symmetric: 32 bytes;
 * HMAC: the spec's length range; asymmetric: a PKCS#8 private key of the spec) and imports it
 * under the rules of domain/import-rules.ts. ImportType, KeyMaterialId and KeyMaterialDescription
 * are for symmetric keys only. Re-importing the same material restores every older ciphertext.
 * Errors: NotFoundException, KMSInvalidStateException, UnsupportedOperationException,
 * InvalidImportTokenException, ExpiredImportTokenException, InvalidCiphertextException (the
 * material does not unwrap), IncorrectKeyMaterialException, ValidationException.
 */
import type { ImportKeyMaterialRequest, ImportKeyMaterialResponse } from '@aws-sdk/client-kms';
import { zero } from '../../crypto/bytes.ts';
import { CryptoError } from '../../crypto/errors.ts';
import { unwrapKeyMaterial } from '../../crypto/import-wrap.ts';
import { ValidationException } from '../../errors/common-errors.ts';
import { InvalidCiphertextException } from '../../errors/kms-errors.ts';
import { importKeyMaterial as importMaterial } from '../../services/import-material.ts';
import { openImportToken } from '../../services/import-parameters.ts';
import { capabilitiesOf } from '../../domain/key-specs.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';
import { importTerms, isoSeconds, requireExternal } from './import-checks.ts';

const buffer = (b: Uint8Array | undefined): Buffer => (b === undefined ? Buffer.alloc(0) : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export const importKeyMaterial = defineOperation<ImportKeyMaterialRequest, ImportKeyMaterialResponse>('ImportKeyMaterial', async (input, ctx) => {
  const model = input.ExpirationModel ?? 'KEY_MATERIAL_EXPIRES';
  const key = await keyFor(ctx, 'ImportKeyMaterial', input.KeyId as string, false, {
    conditions: { 'kms:ExpirationModel': model, ...(input.ValidTo !== undefined ? { 'kms:ValidTo': isoSeconds(input.ValidTo.getTime()) } : {}) },
  });
  requireExternal(key);
  if (capabilitiesOf(key.keySpec).keyType !== 'SYMMETRIC') {
    for (const member of ['ImportType', 'KeyMaterialId', 'KeyMaterialDescription'] as const) {
      if (input[member] !== undefined) throw new ValidationException(`${member} is valid only for symmetric encryption KMS keys.`);
    }
  }
  const terms = importTerms(input.ExpirationModel, input.ValidTo, input.KeyMaterialDescription, ctx.clock.now());
  const { wrappingAlgorithm, privateKey } = await openImportToken(ctx.keyring, key.arn, buffer(input.ImportToken));
  let material: Buffer;
  try {
    material = unwrapKeyMaterial(privateKey, wrappingAlgorithm, buffer(input.EncryptedKeyMaterial));
  } catch (e) {
    if (e instanceof CryptoError) throw new InvalidCiphertextException();
    throw e;
  } finally {
    zero(privateKey);
  }
  try {
    const materialId = await importMaterial(ctx.keyring, key, material, terms, {
      ...(input.ImportType !== undefined ? { importType: input.ImportType } : {}),
      ...(input.KeyMaterialId !== undefined ? { keyMaterialId: input.KeyMaterialId } : {}),
    });
    return { KeyId: key.arn, KeyMaterialId: materialId };
  } finally {
    zero(material);
  }
});
