/**
 * Encryption under an asymmetric (RSA) KMS key: the ciphertext is the raw RSAES-OAEP output,
 * exactly what anyone holding the public key from GetPublicKey makes, so Decrypt needs the KeyId
 * and the EncryptionAlgorithm. The plaintext limit per algorithm comes from the capability table.
 * An encryption context cannot be bound to such a ciphertext: Coffer refuses one with a
 * ValidationException rather than ignore it (AWS's exact answer is not recorded, reference §8).
 */
import { CryptoError } from '../crypto/errors.ts';
import { rsaOaepEncrypt } from '../crypto/rsa.ts';
import { InvalidCiphertextException } from '../errors/kms-errors.ts';
import { ValidationException } from '../errors/common-errors.ts';
import { publicKeyOf, type KeyRecord } from '../domain/key.ts';
import { capabilitiesOf, OAEP_HASH, type EncryptionAlgorithm } from '../domain/key-specs.ts';
import type { KeySession } from './key-session.ts';

type Context = Readonly<Record<string, string>> | undefined;

export function isSymmetricEncryptionKey(key: KeyRecord): boolean {
  return capabilitiesOf(key.keySpec).keyType === 'SYMMETRIC';
}

/** An encryption context is only for symmetric encryption keys. */
export function refuseContext(key: KeyRecord, ec: Context): void {
  if (ec !== undefined && Object.keys(ec).length > 0) {
    throw new ValidationException(`EncryptionContext is not supported for key spec ${key.keySpec}: asymmetric encryption algorithms cannot bind one.`);
  }
}

export function checkPlaintextSize(key: KeyRecord, algorithm: EncryptionAlgorithm, length: number): void {
  const max = capabilitiesOf(key.keySpec).maxPlaintext[algorithm];
  if (max !== undefined && length > max) {
    throw new ValidationException(`Algorithm ${algorithm} and key spec ${key.keySpec} cannot encrypt data larger than ${max} bytes.`);
  }
}

const oaepHash = (algorithm: EncryptionAlgorithm): 'sha1' | 'sha256' => {
  const h = OAEP_HASH[algorithm];
  if (!h) throw new Error(`${algorithm} is not an asymmetric encryption algorithm`);
  return h.hash;
};

export function encryptAsymmetric(key: KeyRecord, algorithm: EncryptionAlgorithm, plaintext: Buffer): Buffer {
  return rsaOaepEncrypt(publicKeyOf(key), oaepHash(algorithm), plaintext);
}

/** Every way an asymmetric ciphertext can fail to open is one InvalidCiphertextException. */
export async function decryptAsymmetric(keys: KeySession, key: KeyRecord, algorithm: EncryptionAlgorithm, ciphertext: Buffer): Promise<Buffer> {
  try {
    return await keys.performCurrent(key, { kind: 'rsa-decrypt', hash: oaepHash(algorithm), ciphertext });
  } catch (e) {
    if (e instanceof CryptoError) throw new InvalidCiphertextException();
    throw e;
  }
}
