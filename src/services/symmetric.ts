/**
 * Symmetric encryption under a KMS key: the current backing key seals, the version named in the
 * blob opens. Every way a ciphertext can fail to open is one InvalidCiphertextException.
 */
import { decodeBlob, type CiphertextParts } from '../crypto/blob.ts';
import { CryptoError } from '../crypto/errors.ts';
import { InvalidCiphertextException } from '../errors/kms-errors.ts';
import { ValidationException } from '../errors/common-errors.ts';
import type { KeyRecord } from '../domain/key.ts';
import type { KeySession } from './key-session.ts';

type Context = Readonly<Record<string, string>> | undefined;

export async function encryptUnder(keys: KeySession, key: KeyRecord, plaintext: Buffer, ec: Context): Promise<Buffer> {
  try {
    return await keys.performCurrent(key, { kind: 'encrypt', keyId: key.keyId, plaintext, context: ec });
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
export async function decryptWith(
  keys: KeySession, key: KeyRecord, parts: CiphertextParts, blob: Buffer, ec: Context,
): Promise<{ plaintext: Buffer; materialId: string }> {
  const materialId = parts.materialId.toString('hex');
  try {
    const plaintext = await keys.perform(key, { kind: 'decrypt', blob, context: ec }, materialId);
    if (plaintext === undefined) throw new InvalidCiphertextException();
    return { plaintext, materialId };
  } catch (e) {
    if (e instanceof CryptoError) throw new InvalidCiphertextException();
    throw e;
  }
}
