/**
 * Parsed key objects, cached. OpenSSL 3's DER decoders are slow (parsing a P-256 PKCS#8 key costs
 * about 300 µs, signing with the parsed key about 25 µs), so Sign, Decrypt and ECDH reuse the
 * KeyObject of the unwrapped private key the keyring already caches. The cache is keyed by that
 * Buffer object (a WeakMap): when the keyring forgets and zeroes the buffer, its KeyObject becomes
 * unreachable too, and OpenSSL clears the private key when it frees it. Public keys are not
 * secret: they are cached by content, bounded.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

const privateKeys = new WeakMap<Buffer, KeyObject>();
const publicKeys = new Map<string, KeyObject>();
const MAX_PUBLIC = 4096;

/** The KeyObject of a PKCS#8 DER private key (throws as createPrivateKey does). */
export function privateKeyObject(pkcs8: Buffer): KeyObject {
  const hit = privateKeys.get(pkcs8);
  if (hit) return hit;
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  privateKeys.set(pkcs8, key);
  return key;
}

/** The KeyObject of a DER SubjectPublicKeyInfo (throws as createPublicKey does). */
export function publicKeyObject(spki: Buffer): KeyObject {
  const id = spki.toString('base64');
  const hit = publicKeys.get(id);
  if (hit) return hit;
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  if (publicKeys.size >= MAX_PUBLIC) publicKeys.clear();
  publicKeys.set(id, key);
  return key;
}
