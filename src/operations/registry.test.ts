/**
 * The operation table (wire/operation-table.ts) is the one description of every operation: each
 * registered operation has its row and no row lacks its operation; only a state change may have a
 * slow part run before the state-change lock; every key-scoped KMS operation has its key-state row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IMPLEMENTED_OPERATIONS, KMS_OPERATIONS } from './registry.ts';
import { QUERY_OPERATIONS } from './query-registry.ts';
import { OPERATION_TABLE } from '../wire/operation-table.ts';
import { CLOUDHSM_OPERATIONS } from './cloudhsm/registry.ts';
import { COFFER_HSM_OPERATIONS } from './cloudhsm/hsm-data-plane.ts';
import { cloudHsmModel } from '../wire/cloudhsm-model.ts';
import { KEY_STATE_TABLE } from '../domain/key-states.ts';
import { kmsModel } from '../wire/model.ts';

test('the operation table and the registries name the same operations', () => {
  assert.deepEqual([...OPERATION_TABLE.kms.keys()].sort(), [...KMS_OPERATIONS.keys()].sort());
  assert.deepEqual([...OPERATION_TABLE.kms.keys()].sort(), Object.keys(kmsModel.operations).sort(), 'every operation of the KMS model');
  assert.deepEqual([...OPERATION_TABLE.iam.keys()].sort(), [...QUERY_OPERATIONS.iam.keys()].sort());
  assert.deepEqual([...OPERATION_TABLE.sts.keys()].sort(), [...QUERY_OPERATIONS.sts.keys()].sort());
  assert.deepEqual([...OPERATION_TABLE.cloudhsm.keys()].sort(), [...CLOUDHSM_OPERATIONS.keys(), ...COFFER_HSM_OPERATIONS.keys()].sort());
  for (const name of CLOUDHSM_OPERATIONS.keys()) assert.ok(Object.hasOwn(cloudHsmModel.operations, name), `${name} is a CloudHSMv2 operation`);
});

test('the table knows the state changes', () => {
  assert.ok(IMPLEMENTED_OPERATIONS.filter((n) => OPERATION_TABLE.kms.get(n)?.mutating).length >= 20, 'the state changes are recognized');
  assert.equal(OPERATION_TABLE.kms.get('Encrypt')?.mutating, false);
  assert.equal(OPERATION_TABLE.sts.get('AssumeRole')?.mutating, true, 'stores a session');
});

test('only a state change may have a prepare step, and CreateKey has one (key pairs are generated before the state-change lock)', () => {
  for (const op of KMS_OPERATIONS.values()) if (op.prepare) assert.ok(OPERATION_TABLE.kms.get(op.name)?.mutating, `${op.name} prepares but changes nothing`);
  assert.equal(typeof KMS_OPERATIONS.get('CreateKey')?.prepare, 'function');
});

test('every KMS operation with a grant operation or a key usage is key-scoped: it has a key-state row', () => {
  for (const f of OPERATION_TABLE.kms.values()) {
    if (f.grantOperation !== undefined || f.usage !== undefined) assert.ok(KEY_STATE_TABLE[f.name], `${f.name} has a key-state row`);
  }
  for (const name of Object.keys(KEY_STATE_TABLE)) assert.ok(OPERATION_TABLE.kms.has(name), `${name} of the key-state table is an operation`);
});
