/**
 * The PKCS#11 v2.40 numbers Coffer uses (pkcs11t.h). They are fixed by the standard, so they are
 * written here rather than read from pkcs11js, whose types then stay out of everything but
 * library.ts; constants.test.ts checks them against pkcs11js where it is installed.
 */

export const CKO = { PUBLIC_KEY: 0x2, PRIVATE_KEY: 0x3, SECRET_KEY: 0x4 } as const;
export const CKK = { RSA: 0x0, EC: 0x3, GENERIC_SECRET: 0x10, AES: 0x1f } as const;

export const CKA = {
  CLASS: 0x0,
  TOKEN: 0x1,
  PRIVATE: 0x2,
  LABEL: 0x3,
  VALUE: 0x11,
  TRUSTED: 0x86,
  KEY_TYPE: 0x100,
  ID: 0x102,
  SENSITIVE: 0x103,
  ENCRYPT: 0x104,
  DECRYPT: 0x105,
  WRAP: 0x106,
  UNWRAP: 0x107,
  SIGN: 0x108,
  SIGN_RECOVER: 0x109,
  VERIFY: 0x10a,
  VERIFY_RECOVER: 0x10b,
  DERIVE: 0x10c,
  EC_PARAMS: 0x180,
  EC_POINT: 0x181,
  MODULUS: 0x120,
  MODULUS_BITS: 0x121,
  PUBLIC_EXPONENT: 0x122,
  VALUE_LEN: 0x161,
  EXTRACTABLE: 0x162,
  MODIFIABLE: 0x170,
  WRAP_WITH_TRUSTED: 0x210,
} as const;

export const CKM = {
  RSA_PKCS_KEY_PAIR_GEN: 0x0,
  SHA256_RSA_PKCS: 0x40,
  SHA384_RSA_PKCS: 0x41,
  SHA512_RSA_PKCS: 0x42,
  GENERIC_SECRET_KEY_GEN: 0x350,
  EC_KEY_PAIR_GEN: 0x1040,
  ECDSA: 0x1041,
  RSA_PKCS_OAEP: 0x9,
  SHA_1: 0x220,
  AES_KEY_GEN: 0x1080,
  /** RFC 3394 (no padding). */
  AES_KEY_WRAP: 0x2109,
  AES_GCM: 0x1087,
  /** RFC 5649; pkcs11-tool prints it as "mechtype-0x210A" (HSM.md gotcha 11). */
  AES_KEY_WRAP_PAD: 0x210a,
} as const;

export const CKU = { SO: 0, USER: 1 } as const;
/** CKG_MGF1_SHA1 (RSA-OAEP's mask generation). */
export const CKG_MGF1_SHA1 = 0x1;

/** C_OpenSession flags. */
export const CKF_RW_SESSION = 0x2;
export const CKF_SERIAL_SESSION = 0x4;
/** C_Initialize flag: without it, concurrent async calls corrupt SoftHSM's heap (HSM.md gotcha 5). */
export const CKF_OS_LOCKING_OK = 0x2;
/** CK_TOKEN_INFO flags. */
export const CKF_USER_PIN_INITIALIZED = 0x8;
export const CKF_TOKEN_INITIALIZED = 0x400;

/** A token label is 32 bytes, blank padded. */
export const LABEL_BYTES = 32;
