/**
 * RSA for asymmetric KMS keys (RFC 8017), on OpenSSL through node:crypto.
 *
 * Encryption is RSAES-OAEP with MGF1 over the same hash. Signatures are computed on a message
 * digest, because KMS's DIGEST message type hands one in and node:crypto can only sign whole
 * messages: the encoded message is built here (EMSA-PKCS1-v1_5 with its DigestInfo, or EMSA-PSS
 * with MGF1 and a salt as long as the hash) and the raw RSA private-key operation is OpenSSL's
 * (blinded). RAW messages are hashed first, so both message types share one path.
 */
import { privateKeyObject, publicKeyObject } from './key-objects.ts';
import { constants, createHash, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { randomBytes, zero } from './bytes.ts';
import { AuthenticationError, CryptoError, InvalidKeyError } from './errors.ts';

export type RsaHash = 'sha256' | 'sha384' | 'sha512';
export type OaepHash = 'sha1' | 'sha256';
export type RsaSignatureScheme = 'RSASSA_PSS' | 'RSASSA_PKCS1_V1_5';

export const HASH_BYTES: Readonly<Record<RsaHash, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/** DER of DigestInfo { AlgorithmIdentifier { hash, NULL }, OCTET STRING } up to the digest (RFC 8017 §9.2 note 1). */
const DIGEST_INFO_PREFIX: Readonly<Record<RsaHash, Buffer>> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

export const rsaPrivateKey = (pkcs8: Buffer): KeyObject => privateKeyObject(pkcs8);

function rsaPublicKey(spki: Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = publicKeyObject(spki);
  } catch (e) {
    throw new InvalidKeyError('not an RSA public key', { cause: e });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new InvalidKeyError('not an RSA public key');
  return key;
}

const modulusBytes = (key: KeyObject): number => Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);

/** RSAES-OAEP encryption with the public key. */
export function rsaOaepEncrypt(spki: Buffer, hash: OaepHash, plaintext: Buffer): Buffer {
  return publicEncrypt({ key: rsaPublicKey(spki), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, plaintext);
}

/** RSAES-OAEP decryption; every failure (length, padding, wrong hash) is one AuthenticationError. */
export function rsaOaepDecrypt(pkcs8: Buffer, hash: OaepHash, ciphertext: Buffer): Buffer {
  const key = rsaPrivateKey(pkcs8);
  if (ciphertext.length !== modulusBytes(key)) throw new AuthenticationError('decryption failed');
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, ciphertext);
  } catch (e) {
    throw new AuthenticationError('decryption failed', { cause: e });
  }
}

/** MGF1 (RFC 8017 B.2.1). */
export function mgf1(hash: RsaHash, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  for (let counter = 0, have = 0; have < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter, 0);
    const block = createHash(hash).update(seed).update(c).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) of a digest, salt length = hash length. `salt` is for known-answer tests. */
export function emsaPssEncode(hash: RsaHash, digest: Buffer, emBits: number, salt: Buffer = randomBytes(HASH_BYTES[hash])): Buffer {
  const hLen = HASH_BYTES[hash];
  const emLen = Math.ceil(emBits / 8);
  if (digest.length !== hLen || salt.length !== hLen || emLen < 2 * hLen + 2) throw new CryptoError('bad PSS parameters');
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.of(0x01), salt]);
  const mask = mgf1(hash, h, emLen - hLen - 1);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits));
  return Buffer.concat([db, h, Buffer.of(0xbc)]);
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with salt length = hash length. */
export function emsaPssVerify(hash: RsaHash, digest: Buffer, em: Buffer, emBits: number): boolean {
  const hLen = HASH_BYTES[hash];
  const emLen = Math.ceil(emBits / 8);
  if (digest.length !== hLen || em.length !== emLen || emLen < 2 * hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topBits = 0xff >> (8 * emLen - emBits);
  if (((maskedDb[0] as number) & ~topBits) !== 0) return false;
  const mask = mgf1(hash, h, maskedDb.length);
  const db = Buffer.alloc(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = (maskedDb[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & topBits;
  const ps = emLen - 2 * hLen - 2;
  if (!db.subarray(0, ps).every((b) => b === 0) || db[ps] !== 0x01) return false;
  const salt = db.subarray(db.length - hLen);
  return createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest().equals(h);
}

/** EMSA-PKCS1-v1_5 without its 0x00 0x01 FF.. 0x00 frame: DigestInfo || digest (OpenSSL adds the frame). */
export function digestInfo(hash: RsaHash, digest: Buffer): Buffer {
  if (digest.length !== HASH_BYTES[hash]) throw new CryptoError('digest length does not match the hash');
  return Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]);
}

/** Signs a message digest with the private key. */
export function rsaSignDigest(pkcs8: Buffer, scheme: RsaSignatureScheme, hash: RsaHash, digest: Buffer): Buffer {
  const key = rsaPrivateKey(pkcs8);
  if (scheme === 'RSASSA_PKCS1_V1_5') {
    return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo(hash, digest));
  }
  const k = modulusBytes(key);
  const modBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const em = emsaPssEncode(hash, digest, modBits - 1);
  const block = Buffer.concat([Buffer.alloc(k - em.length), em]);
  try {
    return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, block);
  } finally {
    zero(block, em);
  }
}

/** Whether `signature` is a valid signature of the message digest under the public key. */
export function rsaVerifyDigest(spki: Buffer, scheme: RsaSignatureScheme, hash: RsaHash, digest: Buffer, signature: Buffer): boolean {
  const key = rsaPublicKey(spki);
  const k = modulusBytes(key);
  if (signature.length !== k || digest.length !== HASH_BYTES[hash]) return false;
  let block: Buffer;
  try {
    block = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false; // the signature is not below the modulus
  }
  if (block.length !== k) return false;
  if (scheme === 'RSASSA_PKCS1_V1_5') {
    const t = digestInfo(hash, digest);
    const expected = Buffer.concat([Buffer.of(0x00, 0x01), Buffer.alloc(k - t.length - 3, 0xff), Buffer.of(0x00), t]);
    return block.equals(expected);
  }
  const modBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const emLen = Math.ceil((modBits - 1) / 8);
  if (!block.subarray(0, k - emLen).every((b) => b === 0)) return false;
  return emsaPssVerify(hash, digest, block.subarray(k - emLen), modBits - 1);
}

export function digestOf(hash: RsaHash, message: Buffer): Buffer {
  return createHash(hash).update(message).digest();
}
