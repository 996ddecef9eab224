/**
 * The first key material of a new KMS key, as the capability table says the spec is made:
 * random secret bytes from the key store (symmetric backing keys, HMAC keys), or a key pair whose
 * PKCS#8 private key the key store wraps and whose public key (SPKI) the key record keeps. Every
 * plaintext copy made here is zeroed before this returns.
 */
import { newMaterialId } from '../core/ids.ts';
import { UnsupportedOperationException } from '../errors/kms-errors.ts';
import { capabilitiesOf, type KeySpec } from '../domain/key-specs.ts';
import type { MaterialRecord } from '../domain/key.ts';
import type { KeySession } from './key-session.ts';

export interface NewKeyMaterial {
  readonly material: MaterialRecord;
  /** Base64 SPKI DER, for key pairs. */
  readonly publicKey?: string;
}

/**
 * Makes the material of a key of `spec`. Key pairs are generated off the event loop (RSA on the
 * libuv thread pool), so this is asynchronous.
 */
export async function newKeyMaterial(keys: KeySession, keyArn: string, spec: KeySpec, now: number): Promise<NewKeyMaterial> {
  const caps = capabilitiesOf(spec);
  const materialId = newMaterialId().toString('hex');
  switch (caps.material.kind) {
    case 'secret':
    case 'pair': {
      const { wrapped, publicKey } = await keys.store.generate(keyArn, materialId, caps.material);
      return { material: { keyArn, materialId, ...wrapped, createdAt: now }, ...(publicKey ? { publicKey: publicKey.toString('base64') } : {}) };
    }
    case 'none':
      throw new UnsupportedOperationException(caps.unsupported ?? `Coffer does not support KeySpec ${spec}.`);
  }
}
