/**
 * Symmetric encryption under a KMS key: the current backing key seals, the version named in the
 * blob opens. Every way a ciphertext can fail to open is one InvalidCiphertextException.
 */
import { decodeBlob, type CiphertextParts } from '../crypto/blob.ts';
import { CryptoError } from '../crypto/errors.ts';
import { openSymmetric, sealSymmetric } from '../crypto/symmetric.ts';
import { InvalidCiphertextException } from '../errors/kms-errors.ts';
import { ValidationException } from '../errors/common-errors.ts';
import type { KeyRecord } from '../domain/key.ts';
import type { KeySession } from './key-session.ts';

type Context = Readonly<Record<string, string>> | undefined;

export async function encryptUnder(keys: KeySession, key: KeyRecord, plaintext: Buffer, ec: Context): Promise<Buffer> {
  const backing = await keys.backingKey(key, key.currentMaterialId);
  if (!backing) throw new Error(`key ${key.arn} has no current material`);
  try {
    return sealSymmetric({
      keyId: key.keyId, materialId: Buffer.from(key.currentMaterialId, 'hex'), backingKey: backing, plaintext, encryptionContext: ec,
    });
  } catch (e) {
    // The only input sealing can refuse is a context that has no canonical encoding.
    if (e instanceof CryptoError) throw new ValidationException('The encryption context is not valid Unicode text.');
    throw e;
  }
}

export function parseCiphertext(blob: Buffer): CiphertextParts {
  try {
    return decodeBlob(blob);
  } catch (e) {
    if (e instanceof CryptoError) throw new InvalidCiphertextException();
    throw e;
  }
}

/** Opens parts already matched to `key`; returns the plaintext and the material id used. */
export async function decryptWith(keys: KeySession, key: KeyRecord, parts: CiphertextParts, ec: Context): Promise<{ plaintext: Buffer; materialId: string }> {
  const materialId = parts.materialId.toString('hex');
  const backing = await keys.backingKey(key, materialId);
  if (!backing) throw new InvalidCiphertextException();
  try {
    return { plaintext: openSymmetric(parts, backing, ec), materialId };
  } catch (e) {
    if (e instanceof CryptoError) throw new InvalidCiphertextException();
    throw e;
  }
}
