/**
 * A KeyStore that sends the material of AWS_CLOUDHSM custom key stores to their cluster's tokens
 * and everything else to the store it wraps (the software or sealed store). A MaterialRef whose
 * domainKeyId is `cks:<storeId>` names a token key (CKA_ID = its material id); encrypt and decrypt
 * then run AES-GCM inside a token (ClusterUserSessions) with a 96-bit IV Coffer draws and
 * AAD = blob header + canonical encryption context, exactly as crypto/symmetric.ts builds it, in a
 * version-2 blob so that neither path opens the other's ciphertext. A token key is never in this
 * process: generate, hold, copy and anything but encrypt/decrypt refuse it.
 * Each store allows 1,800 cryptographic requests a second by default (AWS's quota for CloudHSM key
 * stores; COFFER_QUOTA_CUSTOM_KEY_STORE_RPS, 0 for none); beyond it a request fails with
 * ThrottlingException (the token is not the limit: HSM.md §c).
 */
import { blobHeader, decodeBlob, encodeBlobWithHeader, IV_LENGTH, NONCE_LENGTH, TAG_LENGTH, TOKEN_BLOB_VERSION } from '../crypto/blob.ts';
import { publicRandomBytes } from '../crypto/bytes.ts';
import { canonicalEncryptionContext } from '../crypto/encryption-context.ts';
import { AuthenticationError, CryptoError } from '../crypto/errors.ts';
import { HsmError } from '../ports/hsm.ts';
import type { KeyOperation, KeyOperationResult } from '../domain/key-operation.ts';
import type { ClusterUserSessions } from '../ports/cluster-keys.ts';
import type { KeyStore, MaterialRef } from '../ports/key-store.ts';
import { TOKEN_MATERIAL_PREFIX, tokenKeyRef } from './custom-key-stores.ts';
import { TokenBucket } from '../core/token-bucket.ts';
import { ThrottlingException } from '../errors/common-errors.ts';

/** AWS's per-store quota of cryptographic requests a second for AWS_CLOUDHSM key stores. */
export const CUSTOM_KEY_STORE_REQUESTS_PER_SECOND = 1800;

export type SessionsOf = (storeId: string) => Promise<ClusterUserSessions>;

const isToken = (ref: MaterialRef): boolean => ref.domainKeyId.startsWith(TOKEN_MATERIAL_PREFIX);

async function tokenEncrypt(sessions: ClusterUserSessions, ref: MaterialRef, keyId: string, plaintext: Buffer, context: Readonly<Record<string, string>> | undefined): Promise<Buffer> {
  if (plaintext.length < 1) throw new CryptoError('plaintext must not be empty');
  const nonce = publicRandomBytes(NONCE_LENGTH);
  const iv = publicRandomBytes(IV_LENGTH);
  const header = blobHeader({ version: TOKEN_BLOB_VERSION, keyId, materialId: Buffer.from(ref.materialId, 'hex'), nonce, iv });
  const aad = Buffer.concat([header, canonicalEncryptionContext(context)]);
  const out = await sessions.encryptGcm(tokenKeyRef(ref.materialId), iv, aad, plaintext);
  if (out.length !== plaintext.length + TAG_LENGTH) throw new CryptoError('the token answered a ciphertext of the wrong length');
  return encodeBlobWithHeader(header, out.subarray(out.length - TAG_LENGTH), out.subarray(0, out.length - TAG_LENGTH));
}

async function tokenDecrypt(sessions: ClusterUserSessions, ref: MaterialRef, blob: Buffer, context: Readonly<Record<string, string>> | undefined): Promise<Buffer> {
  const parts = decodeBlob(blob);
  if (parts.version !== TOKEN_BLOB_VERSION || parts.materialId.toString('hex') !== ref.materialId) throw new AuthenticationError('authentication failed');
  let aad: Buffer;
  try {
    aad = Buffer.concat([blobHeader(parts), canonicalEncryptionContext(context)]);
  } catch (e) {
    throw new AuthenticationError('authentication failed', { cause: e });
  }
  try {
    return await sessions.decryptGcm(tokenKeyRef(ref.materialId), parts.iv, aad, Buffer.concat([parts.ciphertext, parts.tag]));
  } catch (e) {
    if (e instanceof HsmError && e.kind === 'authentication') throw new AuthenticationError('authentication failed', { cause: e });
    throw e;
  }
}

export function routeTokenMaterial(
  inner: KeyStore, sessionsOf: SessionsOf,
  quota: { readonly perSecond: number; readonly nowMs: () => number } = { perSecond: CUSTOM_KEY_STORE_REQUESTS_PER_SECOND, nowMs: () => performance.now() },
): KeyStore {
  const buckets = new Map<string, TokenBucket>();
  const admit = (storeId: string): void => {
    if (quota.perSecond <= 0) return;
    let b = buckets.get(storeId);
    if (b === undefined) buckets.set(storeId, (b = new TokenBucket(quota.perSecond, quota.nowMs())));
    if (!b.take(quota.nowMs())) {
      throw new ThrottlingException(`You have exceeded the rate at which you may call KMS with keys of custom key store ${storeId} (${quota.perSecond} requests a second). Reduce the frequency of your calls.`);
    }
  };
  const refuse = (what: string): never => { throw new Error(`a custom key store's key cannot be ${what} in process`); };
  return {
    generate: (keyArn, materialId, spec) => inner.generate(keyArn, materialId, spec),
    hold: (keyArn, materialId, plaintext) => inner.hold(keyArn, materialId, plaintext),
    copy: async (from, toKeyArn) => (isToken(from) ? refuse('copied') : inner.copy(from, toKeyArn)),
    perform: async <O extends KeyOperation>(ref: MaterialRef, op: O): Promise<KeyOperationResult<O>> => {
      if (!isToken(ref)) return inner.perform(ref, op);
      const storeId = ref.domainKeyId.slice(TOKEN_MATERIAL_PREFIX.length);
      admit(storeId);
      const sessions = await sessionsOf(storeId);
      if (op.kind === 'encrypt') return await tokenEncrypt(sessions, ref, op.keyId, op.plaintext, op.context) as KeyOperationResult<O>;
      if (op.kind === 'decrypt') return await tokenDecrypt(sessions, ref, op.blob, op.context) as KeyOperationResult<O>;
      return refuse(`used for ${op.kind}`);
    },
    seal: (owner, id, plaintext, purpose) => inner.seal(owner, id, plaintext, purpose),
    unseal: (owner, id, sealed, purpose) => inner.unseal(owner, id, sealed, purpose),
    forget: (keyArn, materialId) => inner.forget(keyArn, materialId),
    close: () => inner.close(),
  };
}
