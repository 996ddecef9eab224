/**
 * The HSM boundary (design/hsm-tier.md §1): a PKCS#11 module whose tokens are Coffer's "HSMs" and
 * partitions. The PKCS#11 adapter (adapters/pkcs11/, pkcs11js on SoftHSM2 or a vendor's library)
 * and an in-memory one (adapters/hsm/memory-module.ts, node:crypto, for tests of what sits above)
 * implement it and pass one conformance suite (adapters/conformance/hsm-module.ts).
 *
 * The rules every implementation keeps:
 * - Objects are named by `CKA_ID` (a Coffer key reference, bytes) and found again by it: handles
 *   are the adapter's business (they change after a re-login; HSM.md gotcha 6).
 * - Secret and private keys Coffer makes are token objects, private, sensitive, not modifiable,
 *   and extractable only wrapped under a trusted key (`CKA_WRAP_WITH_TRUSTED`): reading their value
 *   fails, wrapping them under an ordinary key fails (`CKR_KEY_NOT_WRAPPABLE`).
 * - Every failure is an HsmError naming the PKCS#11 return value (`CKR_PIN_INCORRECT`, ...); never a
 *   PIN, a key's value or a plaintext in a message.
 * - Calls that take time (generate, encrypt, decrypt, sign, wrap, unwrap) never block the event
 *   loop (pkcs11js's asynchronous calls); a session runs one operation at a time, so a pool gives
 *   each in-flight operation its own.
 */

/** One token as the module lists it. Slot ids change when a token is initialised: find tokens by serial. */
export interface TokenInfo {
  readonly serial: string;
  /** The label without PKCS#11's space padding. */
  readonly label: string;
  readonly initialized: boolean;
  readonly userPinInitialized: boolean;
}

/** The kinds of failure a caller acts on; the adapter maps each CKR_* value to one of them. */
export type HsmErrorKind =
  | 'pin-incorrect'     // CKR_PIN_INCORRECT
  | 'pin-locked'        // CKR_PIN_LOCKED
  | 'token-not-present' // CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_REMOVED, CKR_SLOT_ID_INVALID, a token not found by serial
  | 'device-error'      // CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_GENERAL_ERROR, CKR_FUNCTION_FAILED
  | 'no-free-slot'      // no uninitialised slot to initialise a token on
  | 'object-not-found'  // no object with that CKA_ID
  | 'not-permitted'     // CKR_ATTRIBUTE_SENSITIVE, CKR_KEY_NOT_WRAPPABLE, CKR_KEY_UNEXTRACTABLE, CKR_KEY_FUNCTION_NOT_PERMITTED, CKR_USER_NOT_LOGGED_IN
  | 'authentication'    // a GCM tag or an unwrap that does not verify (CKR_ENCRYPTED_DATA_INVALID, CKR_WRAPPED_KEY_INVALID, ...;
                        // SoftHSM 2.6.1 says CKR_GENERAL_ERROR there, reported with this kind once the token answers)
  | 'other';

export class HsmError extends Error {
  override readonly name = 'HsmError';
  /**
   * `code` is the PKCS#11 return value's name (`CKR_PIN_INCORRECT`), or a Coffer one for what PKCS#11
   * has no value for: COFFER_TOKEN_NOT_FOUND, COFFER_NO_FREE_SLOT, COFFER_OBJECT_NOT_FOUND,
   * COFFER_SESSION_CLOSED (a call after close), COFFER_PKCS11JS_MISSING, COFFER_NATIVE_ERROR.
   */
  constructor(readonly kind: HsmErrorKind, readonly code: string, message: string) {
    super(message);
  }
}

/** Attributes of a secret key Coffer makes or unwraps (always token, private, sensitive, not modifiable). */
export interface SecretKeyTemplate {
  readonly id: Buffer;
  readonly label: string;
  /** What the key may do; the others are false. */
  readonly usage: readonly ('encrypt' | 'decrypt' | 'wrap' | 'unwrap' | 'sign' | 'verify')[];
  /** Extractable only under a trusted key (true for every key Coffer replicates). */
  readonly wrapWithTrusted: boolean;
  /** CKA_EXTRACTABLE: false for shared copies, which can then never leave the token. */
  readonly extractable: boolean;
  /** CKK_AES (the default) or CKK_GENERIC_SECRET (an HMAC key, 1 to 800 bytes). */
  readonly keyType?: 'aes' | 'generic-secret';
}

/** The elliptic curves a crypto user's EC pair may use (SoftHSM's, with CloudHSM's names). */
export type EcCurve = 'secp256r1' | 'secp384r1' | 'secp521r1';

/** A private key Coffer generates or unwraps for a crypto user (token, private, sensitive, not modifiable). */
export interface PrivateKeyTemplate {
  readonly id: Buffer;
  readonly label: string;
  readonly keyType: 'rsa' | 'ec';
  readonly usage: readonly ('sign' | 'decrypt' | 'unwrap')[];
  readonly wrapWithTrusted: boolean;
  readonly extractable: boolean;
}

/** A public key Coffer generates or creates (token, not private, not modifiable). */
export interface PublicKeyTemplate {
  readonly id: Buffer;
  readonly label: string;
  readonly usage: readonly ('verify' | 'encrypt' | 'wrap')[];
}

export type KeyPairSpec = { readonly kind: 'rsa'; readonly bits: number; readonly publicExponent: number } | { readonly kind: 'ec'; readonly curve: EcCurve };

/**
 * What `TokenSession.sign` does: RSA PKCS#1 v1.5 (CKM_SHA*_RSA_PKCS) or ECDSA over the data hashed
 * with `hash`; ECDSA answers r||s (the adapter hashes in Node and signs with CKM_ECDSA, since
 * SoftHSM 2.6.1 has no CKM_ECDSA_SHA256: HSM.md gotcha 9).
 */
/**
 * The key wrap mechanisms Coffer offers its crypto users (cloudhsm-cli names): `aes-no-pad` is
 * CKM_AES_KEY_WRAP (RFC 3394) under an AES key, `rsa-oaep` CKM_RSA_PKCS_OAEP with SHA-1 and MGF1-SHA1
 * (SoftHSM 2.6.1 has no other hash: HSM.md gotcha 10) under an RSA public key.
 */
export type WrapMechanism = 'aes-no-pad' | 'rsa-oaep';

export interface SignMechanism {
  readonly scheme: 'rsa-pkcs' | 'ecdsa';
  readonly hash: 'sha256' | 'sha384' | 'sha512';
}

/**
 * A logged-in user (CKU_USER) of one token: its sessions and object handles are the adapter's.
 * Good until `close`; a lost token makes calls fail with kind 'token-not-present' or 'device-error'.
 */
export interface TokenSession {
  /** A new AES key (`bytes` 16, 24 or 32) generated inside the token. */
  generateAes(template: SecretKeyTemplate, bytes: number): Promise<void>;
  /** A new RSA key pair (private: sign only, never extractable); answers the public key (SPKI DER). */
  generateRsaPair(id: Buffer, label: string, bits: 2048 | 3072 | 4096): Promise<Buffer>;
  /** The public key (SPKI DER) of the RSA pair with this id. */
  rsaPublicKey(id: Buffer): Promise<Buffer>;
  /** CKM_SHA256_RSA_PKCS over `data` with the private key of the pair with this id. */
  signRsaSha256(id: Buffer, data: Buffer): Promise<Buffer>;
  /** AES-GCM (96-bit IV, 128-bit tag) with the key of this id: answers ciphertext || tag. */
  encryptGcm(id: Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer): Promise<Buffer>;
  /** The inverse of encryptGcm; a wrong tag is an HsmError of kind 'authentication'. */
  decryptGcm(id: Buffer, iv: Buffer, aad: Buffer, ciphertextAndTag: Buffer): Promise<Buffer>;
  /** CKM_AES_KEY_WRAP_PAD of key `targetId` under key `wrappingId` (a trusted key for a WRAP_WITH_TRUSTED target). */
  wrap(wrappingId: Buffer, targetId: Buffer): Promise<Buffer>;
  /** Unwraps `wrapped` (CKM_AES_KEY_WRAP_PAD under `wrappingId`) into a new token secret key with `template`. */
  unwrap(wrappingId: Buffer, wrapped: Buffer, template: SecretKeyTemplate): Promise<void>;
  /** A new secret key of the template's key type (AES: 16, 24 or 32 bytes; generic secret: 1 to 800). */
  generateSecret(template: SecretKeyTemplate, bytes: number): Promise<void>;
  /** A new key pair (the two halves have their own CKA_ID); answers the public key (SPKI DER). */
  generateKeyPair(spec: KeyPairSpec, privateKey: PrivateKeyTemplate, publicKey: PublicKeyTemplate): Promise<Buffer>;
  /** The public key (SPKI DER, RSA or EC) of the public-key object with this id. */
  publicKey(id: Buffer): Promise<Buffer>;
  /** Signs with the private key of this id (see SignMechanism). */
  sign(id: Buffer, mechanism: SignMechanism, data: Buffer): Promise<Buffer>;
  /** CKM_AES_KEY_WRAP_PAD of the private key `targetId` (PKCS#8 inside) under `wrappingId`. */
  wrapPrivate(wrappingId: Buffer, targetId: Buffer): Promise<Buffer>;
  /** Unwraps a blob of wrapPrivate into a new token private key with `template`. */
  unwrapPrivate(wrappingId: Buffer, wrapped: Buffer, template: PrivateKeyTemplate): Promise<void>;
  /** Creates a public-key object from its SPKI DER (C_CreateObject). */
  createPublicKey(template: PublicKeyTemplate, spki: Buffer): Promise<void>;
  /**
   * Wraps, with `mechanism` under `wrappingId` (a secret key for aes-no-pad, a public key for
   * rsa-oaep), the secret key that `masked` holds (a CKM_AES_KEY_WRAP_PAD blob under the trusted
   * key `trustedId`). The token copies are WRAP_WITH_TRUSTED and cannot be wrapped under an ordinary
   * key, so the key is unwrapped into a session object (extractable, not WRAP_WITH_TRUSTED) that is
   * destroyed before the call returns: its value never leaves the token in the clear.
   */
  exportWrapped(trustedId: Buffer, masked: Buffer, payload: SecretKeyTemplate, wrappingId: Buffer, mechanism: WrapMechanism): Promise<Buffer>;
  /** Unwraps `wrapped` with `unwrappingId` (a secret key for aes-no-pad, a private key for rsa-oaep) into a new token secret key with `template`. */
  importWrapped(unwrappingId: Buffer, mechanism: WrapMechanism, wrapped: Buffer, template: SecretKeyTemplate): Promise<void>;
  /** Whether an object with this CKA_ID exists (any class). */
  has(id: Buffer): Promise<boolean>;
  /**
   * The CKA_IDs of the token's keys (secret, private and public), each id once, with its strongest
   * class (secret, then private, then public): a key pair is listed once, as 'private'.
   */
  list(): Promise<readonly { readonly id: Buffer; readonly label: string; readonly kind: 'secret' | 'private' | 'public' }[]>;
  /** Destroys every object with this CKA_ID; answers how many. */
  destroy(id: Buffer): Promise<number>;
  /** Random bytes from the token's generator (C_GenerateRandom). */
  random(bytes: number): Promise<Buffer>;
  /** Logs out and closes every session of this token opened for it. */
  close(): Promise<void>;
}

/** The token's security officer (CKU_SO), for what only the SO may do. */
export interface TokenAdmin {
  /** Sets (C_InitPIN) the user PIN. */
  initUserPin(userPin: string): Promise<void>;
  /**
   * Creates the cluster key from `value` (AES, 32 bytes) as a trusted wrapping key (CKA_TRUSTED,
   * WRAP and UNWRAP only, sensitive, not extractable). On SoftHSM the SO can create only public
   * objects (HSM.md gotcha 12), so it is CKA_PRIVATE=false there. The caller zeroes `value`.
   */
  createTrustedKey(id: Buffer, label: string, value: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** One PKCS#11 library, loaded once per process. */
export interface HsmModule {
  /** Where the module comes from (its path), for messages and metrics. */
  readonly description: string;
  /** Every slot's token, initialised or not. */
  tokens(): Promise<readonly TokenInfo[]>;
  /**
   * Initialises a token on a free (uninitialised) slot with `label` (≤ 32 bytes) and the SO PIN;
   * answers its info (with its new serial). No free slot: HsmError 'no-free-slot'.
   */
  initToken(label: string, soPin: string): Promise<TokenInfo>;
  /**
   * Wipes the token with this serial (C_InitToken with its SO PIN and an empty label): every object
   * and the user PIN go; the serial stays. Refused (CKR_SESSION_EXISTS) while a session or admin of
   * this process is open on it.
   */
  wipeToken(serial: string, soPin: string): Promise<void>;
  /** Logs in as the SO of the token with this serial. */
  openAdmin(serial: string, soPin: string): Promise<TokenAdmin>;
  /**
   * Logs in as the user of the token with this serial; a wrong PIN is HsmError 'pin-incorrect'.
   * PKCS#11 logs in once per process and token, so the sessions of one token share that login: a
   * second openSession must give the same PIN, and the login ends when the last one closes. While
   * a session is open the token's SO cannot log in (CKR_USER_ANOTHER_ALREADY_LOGGED_IN), and the
   * other way round.
   */
  openSession(serial: string, userPin: string): Promise<TokenSession>;
  /** Changes the user PIN (C_SetPIN, logged in as the user with the old one). */
  setUserPin(serial: string, oldPin: string, newPin: string): Promise<void>;
  /** Closes every session; the module is finalised when the process ends. */
  close(): Promise<void>;
}
