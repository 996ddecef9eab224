/**
 * The software key store: the domain keys (opened from the database by the root seal, open.ts);
 * the newest domain key wraps new key material (backing keys, HMAC keys,
 * PKCS#8 private keys: each bound to its key ARN and material id; the sealed parameters of import
 * tokens, bound to the key ARN and token id). Operations run in process (execute-local.ts) on
 * material unwrapped once and kept in memory; plaintext domain keys and material live only in
 * this process's memory and are zeroed when forgotten and on close.
 */
import { randomUUID } from 'node:crypto';
import { randomBytes, zero } from '../../crypto/bytes.ts';
import { AuthenticationError, SealError } from '../../crypto/errors.ts';
import { backingKeyAad, importTokenAad, unwrapKey, wrapKey } from '../../crypto/wrap.ts';
import type { DomainKeyRecord } from '../../ports/key-repository.ts';
import type { KeyStore, MaterialRef, SealPurpose, WrappedMaterial } from '../../ports/key-store.ts';
import { generateKeyPair } from '../../crypto/keypair.ts';
import { executeLocal } from './execute-local.ts';
import type { SecretBox } from '../../ports/secret-box.ts';
import { createSecretBox } from './secret-box.ts';

const aadFor = (keyArn: string, id: string, purpose: SealPurpose): Buffer =>
  (purpose === 'import-token' ? importTokenAad(keyArn, id) : backingKeyAad(keyArn, id));

/** Where the domain keys are kept (wrapped under the root seal), read, added and rewrapped at start-up and by `seal migrate`. */
export interface DomainKeyTable {
  all(): DomainKeyRecord[];
  add(k: DomainKeyRecord): void;
  /** Replaces a domain key's wrapped form (the same key under another seal). */
  replace(k: DomainKeyRecord): void;
}

/** The domain keys in the clear (the store owns and zeroes them from now on) and the one that wraps new material. */
export interface OpenDomainKeys {
  readonly keys: ReadonlyMap<string, Buffer>;
  readonly activeId: string;
}

/** One new random domain key (a test's, or a new data folder's before it is wrapped and stored). */
export function newDomainKeys(): OpenDomainKeys {
  const id = randomUUID();
  return { keys: new Map([[id, randomBytes(32)]]), activeId: id };
}

export function openSoftwareKeyStore(opened: OpenDomainKeys): KeyStore & { readonly secrets: SecretBox } {
  const domainKeys = new Map(opened.keys);
  const active = opened.activeId;
  if (!domainKeys.has(active)) throw new SealError(`the active domain key ${active} is not among the opened ones`);

  const domainKey = (id: string): Buffer => {
    const k = domainKeys.get(id);
    if (!k) throw new AuthenticationError(`unknown domain key ${id}`);
    return k;
  };

  // Unwrapped material by key ARN and version, kept while the process runs (the Encrypt path
  // unwraps nothing on a warm cache) and zeroed when the version is forgotten or the store closes.
  // The keyring hands out the same MaterialRef object while it caches the key's versions, so a
  // warm call finds its entry by that object without building and hashing an ARN-long string.
  interface Held { readonly material: Buffer; readonly materialId: Buffer; live: boolean }
  const plaintext = new Map<string, Held>();
  const byRef = new WeakMap<MaterialRef, Held>();
  const cacheId = (keyArn: string, materialId: string): string => `${keyArn}|${materialId}`;
  const heldFor = (ref: MaterialRef): Held => {
    const seen = byRef.get(ref);
    if (seen !== undefined && seen.live) return seen;
    const id = cacheId(ref.keyArn, ref.materialId);
    let held = plaintext.get(id);
    if (held === undefined) {
      const material = unwrapKey(domainKey(ref.domainKeyId), ref.wrapped, backingKeyAad(ref.keyArn, ref.materialId));
      held = { material, materialId: Buffer.from(ref.materialId, 'hex'), live: true };
      plaintext.set(id, held);
    }
    byRef.set(ref, held);
    return held;
  };
  const drop = (id: string, held: Held): void => {
    held.live = false;
    zero(held.material);
    plaintext.delete(id);
  };
  const wrapFor = (keyArn: string, materialId: string, secret: Buffer): WrappedMaterial =>
    ({ domainKeyId: active, wrapped: wrapKey(domainKey(active), secret, backingKeyAad(keyArn, materialId)) });

  return {
    secrets: createSecretBox({ activeId: active, key: domainKey }),
    async generate(keyArn, materialId, spec) {
      if (spec.kind === 'secret') {
        const secret = randomBytes(spec.bytes);
        try {
          return { wrapped: wrapFor(keyArn, materialId, secret) };
        } finally {
          zero(secret);
        }
      }
      // Key pairs are generated off the event loop (RSA on the libuv thread pool).
      const { privateKey, publicKey } = await generateKeyPair(spec.pair);
      try {
        return { wrapped: wrapFor(keyArn, materialId, privateKey), publicKey };
      } finally {
        zero(privateKey);
      }
    },
    async hold(keyArn, materialId, secret) {
      return wrapFor(keyArn, materialId, secret);
    },
    async copy(from, toKeyArn) {
      const secret = unwrapKey(domainKey(from.domainKeyId), from.wrapped, backingKeyAad(from.keyArn, from.materialId));
      try {
        return wrapFor(toKeyArn, from.materialId, secret);
      } finally {
        zero(secret);
      }
    },
    async perform(ref, op) {
      const held = heldFor(ref);
      return executeLocal(held.material, held.materialId, op);
    },
    async seal(owner, id, secret, purpose) {
      return { domainKeyId: active, wrapped: wrapKey(domainKey(active), secret, aadFor(owner, id, purpose)) };
    },
    async unseal(owner, id, sealed, purpose) {
      return unwrapKey(domainKey(sealed.domainKeyId), sealed.wrapped, aadFor(owner, id, purpose));
    },
    forget(keyArn, materialId) {
      for (const [id, held] of plaintext) {
        if (materialId === undefined ? id.startsWith(`${keyArn}|`) : id === cacheId(keyArn, materialId)) drop(id, held);
      }
    },
    close() {
      for (const [id, held] of plaintext) drop(id, held);
      zero(...domainKeys.values());
      domainKeys.clear();
    },
  };
}
