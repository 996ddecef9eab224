/**
 * The software key store: a root key from a seal (key file or passphrase) opens the domain keys
 * kept in the repository; the newest domain key wraps new key material (backing keys, HMAC keys,
 * PKCS#8 private keys: each bound to its key ARN and material id; the sealed parameters of import
 * tokens, bound to the key ARN and token id). Plaintext domain keys live only in this process's
 * memory and are zeroed on close.
 */
import { randomUUID } from 'node:crypto';
import { randomBytes, zero } from '../../crypto/bytes.ts';
import { AuthenticationError, SealError } from '../../crypto/errors.ts';
import { backingKeyAad, domainKeyAad, importTokenAad, unwrapKey, wrapKey } from '../../crypto/wrap.ts';
import type { DomainKeyRecord } from '../../ports/key-repository.ts';
import type { KeyStore, WrapPurpose, WrappedMaterial } from '../../ports/key-store.ts';
import type { SecretBox } from '../../ports/secret-box.ts';
import { createSecretBox } from './secret-box.ts';

const aadFor = (keyArn: string, id: string, purpose: WrapPurpose = 'key-material'): Buffer =>
  (purpose === 'import-token' ? importTokenAad(keyArn, id) : backingKeyAad(keyArn, id));

/** Where the domain keys are kept (wrapped under the root key), read and added at start-up. */
export interface DomainKeyTable {
  all(): DomainKeyRecord[];
  add(k: DomainKeyRecord): void;
}

export function openSoftwareKeyStore(table: DomainKeyTable, rootKey: Buffer, now: () => number): KeyStore & { readonly secrets: SecretBox } {
  const domainKeys = new Map<string, Buffer>();
  for (const d of table.all()) {
    try {
      domainKeys.set(d.id, unwrapKey(rootKey, d.wrapped, domainKeyAad(d.id)));
    } catch (e) {
      if (e instanceof AuthenticationError) {
        throw new SealError('the root key does not open this data folder (wrong COFFER_ROOT_PASSPHRASE or root key file?)');
      }
      throw e;
    }
  }
  let activeId = [...domainKeys.keys()].at(-1);
  if (activeId === undefined) {
    const id = randomUUID();
    const key = randomBytes(32);
    table.add({ id, wrapped: wrapKey(rootKey, key, domainKeyAad(id)), createdAt: now() });
    domainKeys.set(id, key);
    activeId = id;
  }
  const active = activeId;

  const domainKey = (id: string): Buffer => {
    const k = domainKeys.get(id);
    if (!k) throw new AuthenticationError(`unknown domain key ${id}`);
    return k;
  };

  return {
    secrets: createSecretBox({ activeId: active, key: domainKey }),
    generate(keyArn, materialId, bytes) {
      const plaintext = randomBytes(bytes);
      const wrapped: WrappedMaterial = {
        domainKeyId: active,
        wrapped: wrapKey(domainKey(active), plaintext, backingKeyAad(keyArn, materialId)),
      };
      return { wrapped, plaintext };
    },
    wrap(keyArn, id, plaintext, purpose) {
      return { domainKeyId: active, wrapped: wrapKey(domainKey(active), plaintext, aadFor(keyArn, id, purpose)) };
    },
    unwrap(keyArn, id, w, purpose) {
      return unwrapKey(domainKey(w.domainKeyId), w.wrapped, aadFor(keyArn, id, purpose));
    },
    close() {
      zero(...domainKeys.values());
      domainKeys.clear();
    },
  };
}
