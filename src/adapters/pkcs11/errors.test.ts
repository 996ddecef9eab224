import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HsmError } from '../../ports/hsm.ts';
import { checkPinLength, checkTokenLabel, ckrOf, kindOf, toHsmError } from './errors.ts';

/** What pkcs11js throws: a Pkcs11Error whose message is the CKR_* name and whose code is its number. */
const pkcs11Error = (name: string, code: number): Error => Object.assign(new Error(name), { code });

test('the port documents each kind with these CKR_* values, and the table maps them so', () => {
  const table: Record<string, string[]> = {
    'pin-incorrect': ['CKR_PIN_INCORRECT'],
    'pin-locked': ['CKR_PIN_LOCKED'],
    'token-not-present': ['CKR_TOKEN_NOT_PRESENT', 'CKR_DEVICE_REMOVED', 'CKR_SLOT_ID_INVALID', 'COFFER_TOKEN_NOT_FOUND'],
    'device-error': ['CKR_DEVICE_ERROR', 'CKR_DEVICE_MEMORY', 'CKR_GENERAL_ERROR', 'CKR_FUNCTION_FAILED'],
    'no-free-slot': ['COFFER_NO_FREE_SLOT'],
    'object-not-found': ['COFFER_OBJECT_NOT_FOUND'],
    'not-permitted': ['CKR_ATTRIBUTE_SENSITIVE', 'CKR_KEY_NOT_WRAPPABLE', 'CKR_KEY_UNEXTRACTABLE', 'CKR_KEY_FUNCTION_NOT_PERMITTED', 'CKR_USER_NOT_LOGGED_IN'],
    authentication: ['CKR_ENCRYPTED_DATA_INVALID', 'CKR_WRAPPED_KEY_INVALID'],
    other: ['CKR_ARGUMENTS_BAD', 'CKR_SESSION_EXISTS', 'CKR_MECHANISM_INVALID', 'CKR_SOMETHING_NEW'],
  };
  for (const [kind, codes] of Object.entries(table)) for (const code of codes) assert.equal(kindOf(code), kind, code);
});

test('a pkcs11js error becomes an HsmError named by its CKR_*, with the action and nothing else', () => {
  const e = toHsmError(pkcs11Error('CKR_PIN_INCORRECT', 0xa0), 'C_Login (user) on token 0123');
  assert.ok(e instanceof HsmError);
  assert.deepEqual([e.kind, e.code, e.message], ['pin-incorrect', 'CKR_PIN_INCORRECT', 'C_Login (user) on token 0123: CKR_PIN_INCORRECT']);
  assert.equal(ckrOf(Object.assign(new Error('odd'), { code: 0x1a0 })), 'CKR_0x1A0');
  const passed = new HsmError('authentication', 'CKR_GENERAL_ERROR', 'x');
  assert.equal(toHsmError(passed, 'y'), passed);
  const native = toHsmError(new TypeError('Argument 0 has wrong type. Should be a Buffer\n    at native stack'), 'C_OpenSession');
  assert.deepEqual([native.kind, native.code, native.message], ['other', 'COFFER_NATIVE_ERROR', 'C_OpenSession: Argument 0 has wrong type. Should be a Buffer']);
});

test('labels are at most 32 bytes of UTF-8; PINs 4 to 255 bytes (SoftHSM), refused without echoing them', () => {
  checkTokenLabel('x'.repeat(32));
  assert.throws(() => checkTokenLabel('é'.repeat(17)), (e: unknown) => e instanceof HsmError && e.code === 'CKR_ARGUMENTS_BAD');
  checkPinLength('1234', 'C_Login');
  for (const pin of ['123', 'p'.repeat(256)]) {
    assert.throws(() => checkPinLength(pin, 'C_Login'), (e: unknown) => e instanceof HsmError && e.code === 'CKR_PIN_LEN_RANGE' && !e.message.includes(pin));
  }
});
