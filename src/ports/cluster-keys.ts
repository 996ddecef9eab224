/**
 * What KMS's AWS_CLOUDHSM custom key stores use of a Coffer HSM cluster (design/hsm-tier.md §1.2,
 * §4.1): a view of the cluster for the key-store rules, and a crypto user's sessions on every
 * ACTIVE HSM of it, through which keys are generated (and replicated under the cluster key) and
 * used. The cluster side (services/cluster-*.ts) implements it; KMS never sees a token, a PIN of
 * its own, or a key's value.
 *
 * The rules the implementation keeps:
 * - A key is generated in the user's partition on the primary HSM (the first ACTIVE one by id),
 *   wrapped there under the cluster key (CKM_AES_KEY_WRAP_PAD) into a blob, and unwrapped into the
 *   user's partition on every other ACTIVE HSM, same CKA_ID and template; `generateAes256` answers
 *   once the key exists on at least 2 HSMs (1 when the cluster has 1), else fails.
 * - The blob is what the repository keeps: with it (and the cluster key, sealed on the cluster
 *   side) a key comes back onto a new or wiped HSM (`ensure`).
 * - Crypto goes to the ACTIVE HSMs in turn, with one retry on another HSM after a device error.
 */
import type { ClusterView, ConnectionErrorCode } from '../domain/custom-key-store.ts';

export interface ClusterUserSessions {
  /** A new AES-256 key (encrypt/decrypt only, sensitive, extractable only under the cluster key) with this CKA_ID and label. */
  generateAes256(keyRef: Buffer, label: string): Promise<{ readonly blob: Buffer; readonly hsms: number }>;
  /** Makes sure the key exists on every ACTIVE HSM, unwrapping `blob` where it is missing; answers on how many it exists. */
  ensure(keyRef: Buffer, label: string, blob: Buffer): Promise<number>;
  /** AES-GCM in a token (96-bit IV the caller draws): ciphertext || 16-byte tag. */
  encryptGcm(keyRef: Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer): Promise<Buffer>;
  /** The inverse; a wrong tag is an HsmError of kind 'authentication'. */
  decryptGcm(keyRef: Buffer, iv: Buffer, aad: Buffer, ciphertextAndTag: Buffer): Promise<Buffer>;
  /** Random bytes from a token of the cluster. */
  random(bytes: number): Promise<Buffer>;
  /** Destroys the key on every HSM it can reach (best effort); answers how many copies went. */
  destroy(keyRef: Buffer): Promise<number>;
  close(): Promise<void>;
}

export type ClusterConnection =
  | { readonly ok: true; readonly sessions: ClusterUserSessions }
  | { readonly ok: false; readonly code: ConnectionErrorCode; readonly message: string };

export interface ClusterKeyService {
  /** The cluster of this account and region as the key-store rules see it; undefined when there is none (or it is deleted). */
  view(accountId: string, region: string, clusterId: string): Promise<ClusterView | undefined>;
  /**
   * Logs in as crypto user `username` with `password` on the user's partition of every ACTIVE HSM.
   * Fails with CLUSTER_NOT_FOUND, INSUFFICIENT_CLOUDHSM_HSMS (no ACTIVE HSM), USER_NOT_FOUND,
   * INVALID_CREDENTIALS (a wrong PIN), USER_LOCKED_OUT, NETWORK_ERRORS (a token away) or
   * INTERNAL_ERROR, as the connect job of design §4.1 reports them.
   */
  connect(accountId: string, region: string, clusterId: string, username: string, password: string): Promise<ClusterConnection>;
}
