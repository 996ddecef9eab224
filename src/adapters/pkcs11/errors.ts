/**
 * The one table from PKCS#11 return values to the port's HsmErrorKind, shared by the PKCS#11
 * adapter and the in-memory module (which raises the same CKR_* names). Messages name the action
 * and the return value only: never a PIN, a key value or a plaintext (pkcs11js's own messages are
 * just the CKR_* name, so nothing else is copied from them).
 */
import { HsmError, type HsmErrorKind } from '../../ports/hsm.ts';

const KINDS: Readonly<Record<string, HsmErrorKind>> = {
  CKR_PIN_INCORRECT: 'pin-incorrect',
  CKR_PIN_LOCKED: 'pin-locked',
  CKR_TOKEN_NOT_PRESENT: 'token-not-present',
  CKR_DEVICE_REMOVED: 'token-not-present',
  CKR_SLOT_ID_INVALID: 'token-not-present',
  CKR_TOKEN_NOT_RECOGNIZED: 'token-not-present',
  CKR_DEVICE_ERROR: 'device-error',
  CKR_DEVICE_MEMORY: 'device-error',
  CKR_GENERAL_ERROR: 'device-error',
  CKR_FUNCTION_FAILED: 'device-error',
  CKR_HOST_MEMORY: 'device-error',
  CKR_ATTRIBUTE_SENSITIVE: 'not-permitted',
  CKR_KEY_NOT_WRAPPABLE: 'not-permitted',
  CKR_KEY_UNEXTRACTABLE: 'not-permitted',
  CKR_KEY_FUNCTION_NOT_PERMITTED: 'not-permitted',
  CKR_USER_NOT_LOGGED_IN: 'not-permitted',
  CKR_ENCRYPTED_DATA_INVALID: 'authentication',
  CKR_ENCRYPTED_DATA_LEN_RANGE: 'authentication',
  CKR_WRAPPED_KEY_INVALID: 'authentication',
  CKR_WRAPPED_KEY_LEN_RANGE: 'authentication',
  CKR_SIGNATURE_INVALID: 'authentication',
  // Coffer's own codes, for what PKCS#11 has no return value for.
  COFFER_TOKEN_NOT_FOUND: 'token-not-present',
  COFFER_NO_FREE_SLOT: 'no-free-slot',
  COFFER_OBJECT_NOT_FOUND: 'object-not-found',
};

/** The kind of a CKR_* (or COFFER_*) code; 'other' for the rest. */
export function kindOf(code: string): HsmErrorKind {
  return KINDS[code] ?? 'other';
}

/** An HsmError for `code`, saying what was being done. */
export function hsmError(code: string, action: string, kind: HsmErrorKind = kindOf(code)): HsmError {
  return new HsmError(kind, code, `${action}: ${code}`);
}

/** The CKR_* name of a pkcs11js error (it throws Pkcs11Error with message "CKR_…" and a numeric code), if it is one. */
export function ckrOf(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  if (/^CKR_[A-Z0-9_]+$/.test(e.message)) return e.message;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' && code !== 0 ? `CKR_0x${code.toString(16).toUpperCase()}` : undefined;
}

/**
 * Any failure as an HsmError: HsmErrors pass through; a PKCS#11 one is named by its CKR_*; anything
 * else (pkcs11js's argument checks, a dlopen failure) becomes 'other' with its first line, which
 * comes from code, not from a caller's data.
 */
export function toHsmError(e: unknown, action: string): HsmError {
  if (e instanceof HsmError) return e;
  const ckr = ckrOf(e);
  if (ckr !== undefined) return hsmError(ckr, action);
  const first = e instanceof Error ? (e.message.split('\n')[0] ?? '').slice(0, 200) : 'unknown failure';
  return new HsmError('other', 'COFFER_NATIVE_ERROR', `${action}: ${first}`);
}

/** Labels are at most 32 bytes of UTF-8 (CK_TOKEN_INFO.label); PKCS#11 would cut a longer one silently. */
export function checkTokenLabel(label: string): void {
  if (Buffer.byteLength(label, 'utf8') > 32) throw hsmError('CKR_ARGUMENTS_BAD', 'token label longer than 32 bytes');
}

/** SoftHSM's PIN length rule (4 to 255 bytes), applied by both modules so they agree. */
export function checkPinLength(pin: string, action: string): void {
  const n = Buffer.byteLength(pin, 'utf8');
  if (n < 4 || n > 255) throw hsmError('CKR_PIN_LEN_RANGE', action);
}
