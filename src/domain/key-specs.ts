/**
 * The key-spec capability table: which usages and algorithms each KeySpec has, and whether Coffer
 * implements it yet. Operations consult this table, never a spec name.
 */
export type KeySpec =
  | 'SYMMETRIC_DEFAULT' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096'
  | 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521' | 'ECC_SECG_P256K1' | 'ECC_NIST_EDWARDS25519'
  | 'HMAC_224' | 'HMAC_256' | 'HMAC_384' | 'HMAC_512'
  | 'ML_DSA_44' | 'ML_DSA_65' | 'ML_DSA_87' | 'SM2';
export type KeyUsage = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC' | 'KEY_AGREEMENT';

export interface Capabilities {
  readonly usages: readonly KeyUsage[];
  readonly defaultUsage?: KeyUsage;
  readonly encryptionAlgorithms: readonly string[];
  /** The spec also exists in the deprecated CustomerMasterKeySpec enum. */
  readonly legacySpec: boolean;
  /** False until the issue that brings the spec lands. */
  readonly implemented: boolean;
}

const SYMMETRIC: Capabilities = {
  usages: ['ENCRYPT_DECRYPT'], defaultUsage: 'ENCRYPT_DECRYPT', encryptionAlgorithms: ['SYMMETRIC_DEFAULT'], legacySpec: true, implemented: true,
};
const pending = (usages: readonly KeyUsage[], encryptionAlgorithms: readonly string[] = [], legacySpec = true): Capabilities =>
  ({ usages, encryptionAlgorithms, legacySpec, implemented: false });
const RSA = pending(['ENCRYPT_DECRYPT', 'SIGN_VERIFY'], ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
const NIST = pending(['SIGN_VERIFY', 'KEY_AGREEMENT']);

export const KEY_SPECS: Readonly<Record<KeySpec, Capabilities>> = {
  SYMMETRIC_DEFAULT: SYMMETRIC,
  RSA_2048: RSA, RSA_3072: RSA, RSA_4096: RSA,
  ECC_NIST_P256: NIST, ECC_NIST_P384: NIST, ECC_NIST_P521: NIST,
  ECC_SECG_P256K1: pending(['SIGN_VERIFY']),
  ECC_NIST_EDWARDS25519: pending(['SIGN_VERIFY'], [], false),
  HMAC_224: pending(['GENERATE_VERIFY_MAC']), HMAC_256: pending(['GENERATE_VERIFY_MAC']),
  HMAC_384: pending(['GENERATE_VERIFY_MAC']), HMAC_512: pending(['GENERATE_VERIFY_MAC']),
  ML_DSA_44: pending(['SIGN_VERIFY'], [], false), ML_DSA_65: pending(['SIGN_VERIFY'], [], false), ML_DSA_87: pending(['SIGN_VERIFY'], [], false),
  SM2: pending(['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'], ['SM2PKE']),
};

export const capabilitiesOf = (spec: KeySpec): Capabilities => KEY_SPECS[spec];
export const isKeySpec = (s: string): s is KeySpec => Object.hasOwn(KEY_SPECS, s);
