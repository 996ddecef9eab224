/**
 * AES-256-GCM through node:crypto (OpenSSL), with the two rules this layer
 * relies on enforced in one place: the tag is always 16 bytes (Node would
 * otherwise accept truncated tags) and any decryption failure is an
 * AuthenticationError with no partial plaintext left behind.
 *
 * gcmSealWithIv takes the IV explicitly so it can be pinned against published
 * vectors; production callers generate a fresh random IV for every seal.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { zero } from './bytes.ts';
import { AuthenticationError, CryptoError } from './errors.ts';

export const AES256_KEY_LENGTH = 32;
export const GCM_IV_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== AES256_KEY_LENGTH) throw new CryptoError('AES-256 key must be 32 bytes');
}

export function gcmSealWithIv(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer): { ciphertext: Buffer; tag: Buffer } {
  checkKey(key);
  if (iv.length !== GCM_IV_LENGTH) throw new CryptoError('GCM IV must be 12 bytes');
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH });
  c.setAAD(aad);
  const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
  return { ciphertext, tag: c.getAuthTag() };
}

export function gcmOpen(key: Buffer, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer): Buffer {
  checkKey(key);
  if (iv.length !== GCM_IV_LENGTH || tag.length !== GCM_TAG_LENGTH) throw new AuthenticationError('authentication failed');
  const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH });
  d.setAAD(aad);
  d.setAuthTag(tag);
  const head = d.update(ciphertext);
  try {
    const tail = d.final(); // throws on tag mismatch
    const out = Buffer.concat([head, tail]);
    zero(head, tail);
    return out;
  } catch (e) {
    zero(head); // unauthenticated plaintext must not survive
    throw new AuthenticationError('authentication failed', { cause: e });
  }
}
