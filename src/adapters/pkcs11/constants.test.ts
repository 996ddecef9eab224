/** The PKCS#11 numbers Coffer writes itself (constants.ts) are pkcs11js's, where pkcs11js is built. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as C from './constants.ts';
import { softhsmSkip } from '../../../test/support/softhsm.ts';

test('constants.ts agrees with pkcs11js', { skip: softhsmSkip() ?? false }, () => {
  const js = createRequire(import.meta.url)('pkcs11js') as Record<string, unknown>;
  const groups = { CKO: C.CKO, CKK: C.CKK, CKA: C.CKA, CKM: C.CKM, CKU: C.CKU } as const;
  let checked = 0;
  for (const [prefix, group] of Object.entries(groups)) {
    for (const [name, value] of Object.entries(group)) {
      assert.equal(js[`${prefix}_${name}`], value, `${prefix}_${name}`);
      checked++;
    }
  }
  for (const name of ['CKF_RW_SESSION', 'CKF_SERIAL_SESSION', 'CKF_OS_LOCKING_OK', 'CKF_USER_PIN_INITIALIZED', 'CKF_TOKEN_INITIALIZED'] as const) {
    assert.equal(js[name], C[name], name);
    checked++;
  }
  assert.ok(checked > 40);
});
