/**
 * The operation table (wire/operation-table.ts) is the one description of every operation: each
 * registered operation has its row and no row lacks its operation; an operation the table calls a
 * state change is declared with defineMutation (synchronous, so its change commits with its
 * record) and no read is; every key-scoped KMS operation has its key-state row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IMPLEMENTED_OPERATIONS, KMS_OPERATIONS } from './registry.ts';
import { QUERY_OPERATIONS } from './query-registry.ts';
import { OPERATION_TABLE } from '../wire/operation-table.ts';
import { KEY_STATE_TABLE } from '../domain/key-states.ts';
import { kmsModel } from '../wire/model.ts';

test('the operation table and the registries name the same operations', () => {
  assert.deepEqual([...OPERATION_TABLE.kms.keys()].sort(), [...KMS_OPERATIONS.keys()].sort());
  assert.deepEqual([...OPERATION_TABLE.kms.keys()].sort(), Object.keys(kmsModel.operations).sort(), 'every operation of the KMS model');
  assert.deepEqual([...OPERATION_TABLE.iam.keys()].sort(), [...QUERY_OPERATIONS.iam.keys()].sort());
  assert.deepEqual([...OPERATION_TABLE.sts.keys()].sort(), [...QUERY_OPERATIONS.sts.keys()].sort());
});

test('every implemented KMS operation is declared mutating exactly when the table calls it a state change', () => {
  const disagree = IMPLEMENTED_OPERATIONS.filter((name) => KMS_OPERATIONS.get(name)?.mutating !== OPERATION_TABLE.kms.get(name)?.mutating);
  assert.deepEqual(disagree, []);
  assert.ok(IMPLEMENTED_OPERATIONS.filter((n) => OPERATION_TABLE.kms.get(n)?.mutating).length >= 20, 'the state changes are recognized');
});

test('only a state change may have a prepare step, and CreateKey has one (key pairs are generated before its transaction)', () => {
  for (const op of KMS_OPERATIONS.values()) if (op.prepare) assert.ok(op.mutating, `${op.name} prepares but changes nothing`);
  assert.equal(typeof KMS_OPERATIONS.get('CreateKey')?.prepare, 'function');
});

test('every KMS operation with a grant operation or a key usage is key-scoped: it has a key-state row', () => {
  for (const f of OPERATION_TABLE.kms.values()) {
    if (f.grantOperation !== undefined || f.usage !== undefined) assert.ok(KEY_STATE_TABLE[f.name], `${f.name} has a key-state row`);
  }
  for (const name of Object.keys(KEY_STATE_TABLE)) assert.ok(OPERATION_TABLE.kms.has(name), `${name} of the key-state table is an operation`);
});
