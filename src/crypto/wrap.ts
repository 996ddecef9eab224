/**
 * Key wrapping for the key hierarchy: domain keys under the root key, backing
 * keys under a domain key. AES-256-GCM with a random IV; the AAD names what
 * the wrapped key is (label, key ARN, material id) so a wrapped key copied to
 * another row does not unwrap. Layout: u8 version=1 | iv 12 | tag 16 | ciphertext.
 * Any failure to unwrap, including a malformed input, is an AuthenticationError.
 */
import { lengthPrefixed, randomBytes, utf8 } from './bytes.ts';
import { AuthenticationError, CryptoError } from './errors.ts';
import { GCM_IV_LENGTH, GCM_TAG_LENGTH, gcmOpen, gcmSealWithIv } from './gcm.ts';

export const WRAP_VERSION = 1;
const HEADER = 1 + GCM_IV_LENGTH + GCM_TAG_LENGTH;

export function wrapKey(kek: Buffer, plaintextKey: Buffer, aad: Buffer): Buffer {
  if (plaintextKey.length < 1) throw new CryptoError('key to wrap must not be empty');
  const iv = randomBytes(GCM_IV_LENGTH);
  const { ciphertext, tag } = gcmSealWithIv(kek, iv, plaintextKey, aad);
  return Buffer.concat([Buffer.of(WRAP_VERSION), iv, tag, ciphertext]);
}

export function unwrapKey(kek: Buffer, wrapped: Buffer, aad: Buffer): Buffer {
  if (!Buffer.isBuffer(wrapped) || wrapped.length < HEADER + 1 || wrapped[0] !== WRAP_VERSION) {
    throw new AuthenticationError('authentication failed');
  }
  const iv = wrapped.subarray(1, 1 + GCM_IV_LENGTH);
  const tag = wrapped.subarray(1 + GCM_IV_LENGTH, HEADER);
  return gcmOpen(kek, iv, wrapped.subarray(HEADER), tag, aad);
}

const nonEmpty = (s: string, what: string): Buffer => {
  const b = utf8(s, what);
  if (b.length === 0) throw new CryptoError(`${what} must not be empty`);
  return b;
};

/** AAD for a backing key: ('coffer/v1/backing-key', keyArn, materialIdHex), length-prefixed. */
export function backingKeyAad(keyArn: string, materialIdHex: string): Buffer {
  if (!/^[0-9a-f]{64}$/.test(materialIdHex)) throw new CryptoError('material id must be 64 lowercase hex characters');
  return lengthPrefixed([
    Buffer.from('coffer/v1/backing-key', 'utf8'),
    nonEmpty(keyArn, 'key ARN'),
    Buffer.from(materialIdHex, 'ascii'),
  ]);
}

/** AAD for a domain key: ('coffer/v1/domain-key', domainKeyId), length-prefixed. */
export function domainKeyAad(domainKeyId: string): Buffer {
  return lengthPrefixed([Buffer.from('coffer/v1/domain-key', 'utf8'), nonEmpty(domainKeyId, 'domain key id')]);
}

/** AAD for an access key's secret: ('coffer/v1/credential', accessKeyId), length-prefixed. */
export function credentialAad(accessKeyId: string): Buffer {
  return lengthPrefixed([Buffer.from('coffer/v1/credential', 'utf8'), nonEmpty(accessKeyId, 'access key id')]);
}

/**
 * AAD for the sealed parameters inside an import token: ('coffer/v1/import-token', keyArn,
 * tokenIdHex), length-prefixed. Another label than backing keys', so neither opens as the other.
 */
export function importTokenAad(keyArn: string, tokenIdHex: string): Buffer {
  if (!/^[0-9a-f]{64}$/.test(tokenIdHex)) throw new CryptoError('token id must be 64 lowercase hex characters');
  return lengthPrefixed([Buffer.from('coffer/v1/import-token', 'utf8'), nonEmpty(keyArn, 'key ARN'), Buffer.from(tokenIdHex, 'ascii')]);
}
