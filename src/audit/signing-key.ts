/**
 * The audit signing key: an Ed25519 key pair made on first start. Its private half is key material
 * and is kept only wrapped by the key store (bound to SIGNING_KEY_NAME and the key's id), its
 * public half in the clear, so that anyone can verify the digests without the root key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { AuditStore } from '../ports/audit.ts';
import type { KeyStore } from '../ports/key-store.ts';

export const SIGNING_KEY_NAME = 'coffer:audit-signing-key';

export interface AuditSigner {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export async function loadOrCreateSigningKey(store: AuditStore, keyStore: KeyStore, now: number): Promise<AuditSigner> {
  const existing = await store.signingKey();
  if (existing) {
    const der = await keyStore.unseal(SIGNING_KEY_NAME, existing.id, existing, 'key-material');
    try {
      return {
        keyId: existing.id,
        privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
        publicKey: createPublicKey({ key: existing.publicKey, format: 'der', type: 'spki' }),
      };
    } finally {
      der.fill(0);
    }
  }
  const id = randomBytes(32).toString('hex'); // the key store binds wrapped material to a 64-hex id
  const pair = generateKeyPairSync('ed25519');
  const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
  try {
    const wrapped = await keyStore.seal(SIGNING_KEY_NAME, id, der, 'key-material');
    const publicKey = pair.publicKey.export({ format: 'der', type: 'spki' });
    await store.putSigningKey({ id, publicKey, ...wrapped, createdAt: now });
  } finally {
    der.fill(0);
  }
  return { keyId: id, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** What holds the audit signing key's public half: a store, or the admin API's answer (cli/audit-api.ts). */
export interface PublicKeySource { signingKey(): Promise<{ readonly id: string; readonly publicKey: Buffer } | undefined> }

/** The public keys that verify digests, by key id (PEM export for `audit public-key`). */
export async function publicKeysOf(store: Pick<AuditStore, 'signingKey'> | PublicKeySource): Promise<Map<string, KeyObject>> {
  const k = await store.signingKey();
  return new Map(k ? [[k.id, createPublicKey({ key: k.publicKey, format: 'der', type: 'spki' })]] : []);
}
