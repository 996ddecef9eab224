/**
 * The key-spec capability table (reference §3.3–3.6): for each KeySpec, the key usages it allows
 * and the default one, the algorithms of each usage, the key material it is made of, the largest
 * plaintext each encryption algorithm takes, whether it is also a data key pair spec, and whether
 * Coffer implements it. It is the single source of what a spec may do: operations consult this
 * table (and the algorithm tables below), never a spec name.
 */
import type { KeyPairKind } from '../crypto/keypair.ts';

export type KeySpec =
  | 'SYMMETRIC_DEFAULT' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096'
  | 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521' | 'ECC_SECG_P256K1' | 'ECC_NIST_EDWARDS25519'
  | 'HMAC_224' | 'HMAC_256' | 'HMAC_384' | 'HMAC_512'
  | 'ML_DSA_44' | 'ML_DSA_65' | 'ML_DSA_87' | 'SM2';
export type KeyUsage = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC' | 'KEY_AGREEMENT';
export type EncryptionAlgorithm = 'SYMMETRIC_DEFAULT' | 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'SM2PKE';
export type SigningAlgorithm =
  | 'RSASSA_PSS_SHA_256' | 'RSASSA_PSS_SHA_384' | 'RSASSA_PSS_SHA_512'
  | 'RSASSA_PKCS1_V1_5_SHA_256' | 'RSASSA_PKCS1_V1_5_SHA_384' | 'RSASSA_PKCS1_V1_5_SHA_512'
  | 'ECDSA_SHA_256' | 'ECDSA_SHA_384' | 'ECDSA_SHA_512' | 'SM2DSA' | 'ML_DSA_SHAKE_256'
  | 'ED25519_SHA_512' | 'ED25519_PH_SHA_512';
export type MacAlgorithm = 'HMAC_SHA_224' | 'HMAC_SHA_256' | 'HMAC_SHA_384' | 'HMAC_SHA_512';
export type KeyAgreementAlgorithm = 'ECDH';
export type MessageType = 'RAW' | 'DIGEST' | 'EXTERNAL_MU';
/** The key type UpdateAlias compares: an alias moves only between keys of one type and usage. */
export type KeyType = 'SYMMETRIC' | 'HMAC' | 'ASYMMETRIC';

/** What a version of the key is made of. */
export type Material =
  /**
   * Random bytes made inside the key store (the AES backing key, an HMAC key); imported material
   * of this kind must be `importBytes` [min, max] long (reference §3.6, §3.10).
   */
  | { readonly kind: 'secret'; readonly bytes: number; readonly importBytes: readonly [number, number] }
  /** A key pair: the private key kept as wrapped PKCS#8 DER, the public key as SPKI DER in the key record. */
  | { readonly kind: 'pair'; readonly pair: KeyPairKind }
  /** A spec Coffer cannot make (see `unsupported`). */
  | { readonly kind: 'none' };

export interface Capabilities {
  readonly keyType: KeyType;
  readonly usages: readonly KeyUsage[];
  /** The usage CreateKey takes when none is given; absent where AWS requires one. */
  readonly defaultUsage?: KeyUsage;
  /** Algorithms of each usage, as KeyMetadata and GetPublicKey list them. */
  readonly encryptionAlgorithms: readonly EncryptionAlgorithm[];
  readonly signingAlgorithms: readonly SigningAlgorithm[];
  readonly macAlgorithms: readonly MacAlgorithm[];
  readonly keyAgreementAlgorithms: readonly KeyAgreementAlgorithm[];
  /** The largest plaintext, in bytes, each encryption algorithm takes with this spec. */
  readonly maxPlaintext: Readonly<Partial<Record<EncryptionAlgorithm, number>>>;
  readonly material: Material;
  /** The spec also exists in the deprecated CustomerMasterKeySpec enum. */
  readonly legacySpec: boolean;
  /** The spec is also a DataKeyPairSpec (GenerateDataKeyPair). */
  readonly dataKeyPair: boolean;
  /** False when Coffer cannot provide the spec; `unsupported` then says why. */
  readonly implemented: boolean;
  readonly unsupported?: string;
}

/** How each signing algorithm hashes, and the Message length each MessageType requires ('any': 1..4096 bytes). */
export interface SigningAlgorithmInfo {
  readonly scheme: 'RSASSA_PSS' | 'RSASSA_PKCS1_V1_5' | 'ECDSA' | 'ED25519' | 'ED25519_PH' | 'ML_DSA' | 'SM2DSA';
  readonly hash: 'sha256' | 'sha384' | 'sha512' | 'shake256' | 'sm3';
  readonly messageTypes: Readonly<Partial<Record<MessageType, number | 'any'>>>;
}

const rsaSigning = (scheme: 'RSASSA_PSS' | 'RSASSA_PKCS1_V1_5', hash: 'sha256' | 'sha384' | 'sha512', digest: number): SigningAlgorithmInfo =>
  ({ scheme, hash, messageTypes: { RAW: 'any', DIGEST: digest } });

export const SIGNING_ALGORITHMS: Readonly<Record<SigningAlgorithm, SigningAlgorithmInfo>> = {
  RSASSA_PSS_SHA_256: rsaSigning('RSASSA_PSS', 'sha256', 32),
  RSASSA_PSS_SHA_384: rsaSigning('RSASSA_PSS', 'sha384', 48),
  RSASSA_PSS_SHA_512: rsaSigning('RSASSA_PSS', 'sha512', 64),
  RSASSA_PKCS1_V1_5_SHA_256: rsaSigning('RSASSA_PKCS1_V1_5', 'sha256', 32),
  RSASSA_PKCS1_V1_5_SHA_384: rsaSigning('RSASSA_PKCS1_V1_5', 'sha384', 48),
  RSASSA_PKCS1_V1_5_SHA_512: rsaSigning('RSASSA_PKCS1_V1_5', 'sha512', 64),
  ECDSA_SHA_256: { scheme: 'ECDSA', hash: 'sha256', messageTypes: { RAW: 'any', DIGEST: 32 } },
  ECDSA_SHA_384: { scheme: 'ECDSA', hash: 'sha384', messageTypes: { RAW: 'any', DIGEST: 48 } },
  ECDSA_SHA_512: { scheme: 'ECDSA', hash: 'sha512', messageTypes: { RAW: 'any', DIGEST: 64 } },
  SM2DSA: { scheme: 'SM2DSA', hash: 'sm3', messageTypes: { RAW: 'any', DIGEST: 32 } },
  // FIPS 204 §6.2: μ is 64 bytes; pure ML-DSA with an empty context for RAW.
  ML_DSA_SHAKE_256: { scheme: 'ML_DSA', hash: 'shake256', messageTypes: { RAW: 'any', EXTERNAL_MU: 64 } },
  // Ed25519 (RFC 8032 PureEdDSA) takes the whole message; Ed25519ph takes a SHA-512 digest, which
  // KMS pre-hashes once more as HashEdDSA does (API reference, Sign MessageType).
  ED25519_SHA_512: { scheme: 'ED25519', hash: 'sha512', messageTypes: { RAW: 'any' } },
  ED25519_PH_SHA_512: { scheme: 'ED25519_PH', hash: 'sha512', messageTypes: { DIGEST: 64 } },
};

/** RSAES-OAEP's hash (MGF1 uses the same one). */
export const OAEP_HASH: Readonly<Partial<Record<EncryptionAlgorithm, { readonly hash: 'sha1' | 'sha256'; readonly bytes: number }>>> = {
  RSAES_OAEP_SHA_1: { hash: 'sha1', bytes: 20 },
  RSAES_OAEP_SHA_256: { hash: 'sha256', bytes: 32 },
};

export const MAC_ALGORITHMS: Readonly<Record<MacAlgorithm, { readonly hash: 'sha224' | 'sha256' | 'sha384' | 'sha512' }>> = {
  HMAC_SHA_224: { hash: 'sha224' },
  HMAC_SHA_256: { hash: 'sha256' },
  HMAC_SHA_384: { hash: 'sha384' },
  HMAC_SHA_512: { hash: 'sha512' },
};

const NONE = { encryptionAlgorithms: [], signingAlgorithms: [], macAlgorithms: [], keyAgreementAlgorithms: [], maxPlaintext: {} } as const;

const SYMMETRIC: Capabilities = {
  ...NONE, keyType: 'SYMMETRIC', usages: ['ENCRYPT_DECRYPT'], defaultUsage: 'ENCRYPT_DECRYPT',
  encryptionAlgorithms: ['SYMMETRIC_DEFAULT'], maxPlaintext: { SYMMETRIC_DEFAULT: 4096 },
  material: { kind: 'secret', bytes: 32, importBytes: [32, 32] }, legacySpec: true, dataKeyPair: false, implemented: true,
};

/** Imported HMAC key lengths: at least the hash's output, at most its block size. */
const HMAC_IMPORT: Readonly<Record<224 | 256 | 384 | 512, readonly [number, number]>> = { 224: [28, 64], 256: [32, 64], 384: [48, 128], 512: [64, 128] };

/** HMAC keys as AWS makes them: as many key bytes as the hash has output bytes. */
const hmac = (bits: 224 | 256 | 384 | 512): Capabilities => ({
  ...NONE, keyType: 'HMAC', usages: ['GENERATE_VERIFY_MAC'], macAlgorithms: [`HMAC_SHA_${bits}`],
  material: { kind: 'secret', bytes: bits / 8, importBytes: HMAC_IMPORT[bits] }, legacySpec: true, dataKeyPair: false, implemented: true,
});

/** RSAES-OAEP takes at most k - 2·hLen - 2 bytes (RFC 8017 §7.1.1), k the modulus length in bytes. */
const rsa = (bits: 2048 | 3072 | 4096): Capabilities => ({
  ...NONE, keyType: 'ASYMMETRIC', usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  encryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'],
  signingAlgorithms: ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
    'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512'],
  maxPlaintext: { RSAES_OAEP_SHA_1: bits / 8 - 2 * 20 - 2, RSAES_OAEP_SHA_256: bits / 8 - 2 * 32 - 2 },
  material: { kind: 'pair', pair: { type: 'rsa', bits } }, legacySpec: true, dataKeyPair: true, implemented: true,
});

const nist = (curve: 'P-256' | 'P-384' | 'P-521', signing: SigningAlgorithm): Capabilities => ({
  ...NONE, keyType: 'ASYMMETRIC', usages: ['SIGN_VERIFY', 'KEY_AGREEMENT'], signingAlgorithms: [signing], keyAgreementAlgorithms: ['ECDH'],
  material: { kind: 'pair', pair: { type: 'ec', curve } }, legacySpec: true, dataKeyPair: true, implemented: true,
});

const mlDsa = (level: 44 | 65 | 87): Capabilities => ({
  ...NONE, keyType: 'ASYMMETRIC', usages: ['SIGN_VERIFY'], signingAlgorithms: ['ML_DSA_SHAKE_256'],
  material: { kind: 'pair', pair: { type: 'ml-dsa', level } }, legacySpec: false, dataKeyPair: false, implemented: true,
});

export const KEY_SPECS: Readonly<Record<KeySpec, Capabilities>> = {
  SYMMETRIC_DEFAULT: SYMMETRIC,
  RSA_2048: rsa(2048), RSA_3072: rsa(3072), RSA_4096: rsa(4096),
  ECC_NIST_P256: nist('P-256', 'ECDSA_SHA_256'),
  ECC_NIST_P384: nist('P-384', 'ECDSA_SHA_384'),
  ECC_NIST_P521: nist('P-521', 'ECDSA_SHA_512'),
  ECC_SECG_P256K1: {
    ...NONE, keyType: 'ASYMMETRIC', usages: ['SIGN_VERIFY'], signingAlgorithms: ['ECDSA_SHA_256'],
    material: { kind: 'pair', pair: { type: 'ec', curve: 'secp256k1' } }, legacySpec: true, dataKeyPair: true, implemented: true,
  },
  ECC_NIST_EDWARDS25519: {
    ...NONE, keyType: 'ASYMMETRIC', usages: ['SIGN_VERIFY'], signingAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'],
    material: { kind: 'pair', pair: { type: 'ed25519' } }, legacySpec: false, dataKeyPair: true, implemented: true,
  },
  HMAC_224: hmac(224), HMAC_256: hmac(256), HMAC_384: hmac(384), HMAC_512: hmac(512),
  ML_DSA_44: mlDsa(44), ML_DSA_65: mlDsa(65), ML_DSA_87: mlDsa(87),
  SM2: {
    ...NONE, keyType: 'ASYMMETRIC', usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'],
    encryptionAlgorithms: ['SM2PKE'], signingAlgorithms: ['SM2DSA'], keyAgreementAlgorithms: ['ECDH'], maxPlaintext: { SM2PKE: 1024 },
    material: { kind: 'none' }, legacySpec: true, dataKeyPair: true, implemented: false,
    unsupported: 'Coffer does not support SM2 keys: SM2PKE encryption and SM2DSA signatures with a distinguishing ID are not '
      + 'available from node:crypto or from a well-kept JavaScript library (AWS offers SM2 only in its China Regions).',
  },
};

export const capabilitiesOf = (spec: KeySpec): Capabilities => KEY_SPECS[spec];
export const isKeySpec = (s: string): s is KeySpec => Object.hasOwn(KEY_SPECS, s);

