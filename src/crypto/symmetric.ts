/**
 * Symmetric Encrypt/Decrypt on a backing key. Each seal draws a fresh nonce
 * (-> per-request key) and IV, and authenticates the blob header plus the
 * canonical encryption context, so a blob cannot be moved to another key,
 * material version or context. Every authentication failure, however caused,
 * is the same AuthenticationError.
 */
import { publicRandomBytes, zero } from './bytes.ts';
import { blobHeader, encodeBlobWithHeader, IV_LENGTH, NONCE_LENGTH, TAG_LENGTH, type CiphertextParts } from './blob.ts';
import { canonicalEncryptionContext } from './encryption-context.ts';
import { AuthenticationError, CryptoError } from './errors.ts';
import { gcmOpen, gcmSealWithIv } from './gcm.ts';
import { deriveRequestKey } from './kdf.ts';

type Context = Readonly<Record<string, string>> | undefined;

export function sealSymmetric(p: {
  keyId: string;
  materialId: Buffer;
  backingKey: Buffer;
  plaintext: Buffer;
  encryptionContext?: Context;
}): Buffer {
  if (p.plaintext.length < 1) throw new CryptoError('plaintext must not be empty');
  const nonce = publicRandomBytes(NONCE_LENGTH);
  const iv = publicRandomBytes(IV_LENGTH);
  const header = blobHeader({ keyId: p.keyId, materialId: p.materialId, nonce, iv });
  const aad = Buffer.concat([header, canonicalEncryptionContext(p.encryptionContext)]);
  const key = deriveRequestKey(p.backingKey, nonce);
  try {
    const { ciphertext, tag } = gcmSealWithIv(key, iv, p.plaintext, aad);
    return encodeBlobWithHeader(header, tag, ciphertext);
  } finally {
    zero(key);
  }
}

export function openSymmetric(parts: CiphertextParts, backingKey: Buffer, encryptionContext?: Context): Buffer {
  // A token's ciphertext (version 2) never opens in process.
  if ((parts.version ?? 1) !== 1) throw new AuthenticationError('authentication failed');
  let header: Buffer;
  try {
    header = blobHeader(parts);
  } catch (e) {
    throw new AuthenticationError('authentication failed', { cause: e });
  }
  if (parts.tag.length !== TAG_LENGTH || parts.ciphertext.length < 1) throw new AuthenticationError('authentication failed');
  let ec: Buffer;
  try {
    ec = canonicalEncryptionContext(encryptionContext);
  } catch (e) {
    // A context that cannot even be encoded cannot be the one the blob was sealed with.
    throw new AuthenticationError('authentication failed', { cause: e });
  }
  const key = deriveRequestKey(backingKey, parts.nonce);
  try {
    return gcmOpen(key, parts.iv, parts.ciphertext, parts.tag, Buffer.concat([header, ec]));
  } finally {
    zero(key);
  }
}
