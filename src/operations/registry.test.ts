/**
 * Each KMS operation says whether it changes state, and the audit trail agrees: a state change's
 * record must commit in its transaction (server/audit-call.ts), so an operation the audit counts
 * as mutating must be declared with defineMutation (synchronous), and no read may be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IMPLEMENTED_OPERATIONS, KMS_OPERATIONS } from './registry.ts';
import { isMutating } from '../audit/record.ts';

test('every implemented KMS operation is declared mutating exactly when the audit trail treats it as a state change', () => {
  const disagree = IMPLEMENTED_OPERATIONS.filter((name) => KMS_OPERATIONS.get(name)?.mutating !== isMutating('kms', name));
  assert.deepEqual(disagree, []);
  assert.ok(IMPLEMENTED_OPERATIONS.filter((n) => isMutating('kms', n)).length >= 20, 'the state changes are recognized');
});

test('only a state change may have a prepare step, and CreateKey has one (key pairs are generated before its transaction)', () => {
  for (const op of KMS_OPERATIONS.values()) if (op.prepare) assert.ok(op.mutating, `${op.name} prepares but changes nothing`);
  assert.equal(typeof KMS_OPERATIONS.get('CreateKey')?.prepare, 'function');
});
