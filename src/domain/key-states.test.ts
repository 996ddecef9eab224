import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertStateAllows, KEY_STATE_TABLE, KEY_STATES, type KeyState } from './key-states.ts';
import { kmsModel } from '../wire/model.ts';

const ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const outcome = (op: string, state: KeyState): string => {
  try {
    assertStateAllows(op, state, ARN);
    return 'ok';
  } catch (e) {
    const err = e as Error & { code: string };
    return `${err.code}: ${err.message}`;
  }
};

test('every key-scoped operation of the model has a row', () => {
  const accountLevel = new Set(['CreateKey', 'ListKeys', 'GenerateRandom', 'ListRetirableGrants', 'CreateCustomKeyStore', 'ConnectCustomKeyStore', 'DisconnectCustomKeyStore', 'DeleteCustomKeyStore',
    'DescribeCustomKeyStores', 'UpdateCustomKeyStore']);
  for (const op of Object.keys(kmsModel.operations)) {
    if (accountLevel.has(op)) continue;
    assert.ok(KEY_STATE_TABLE[op], `no row for ${op}`);
  }
});

test('the reference table, cell by cell, for the symmetric life cycle', () => {
  const expected: Record<string, Partial<Record<KeyState, string>>> = {
    Encrypt: {
      Enabled: 'ok',
      Disabled: `DisabledException: ${ARN} is disabled.`,
      PendingDeletion: `KMSInvalidStateException: ${ARN} is pending deletion.`,
      PendingImport: `KMSInvalidStateException: ${ARN} is pending import.`,
      Unavailable: `KMSInvalidStateException: ${ARN} is unavailable.`,
      Creating: `KMSInvalidStateException: ${ARN} is creating.`,
      Updating: 'ok',
      PendingReplicaDeletion: `KMSInvalidStateException: ${ARN} is pending replica deletion.`,
    },
    CancelKeyDeletion: {
      Enabled: `KMSInvalidStateException: ${ARN} is not pending deletion.`,
      Disabled: `KMSInvalidStateException: ${ARN} is not pending deletion.`,
      PendingDeletion: 'ok',
    },
    DisableKey: { Enabled: 'ok', Disabled: 'ok', PendingDeletion: `KMSInvalidStateException: ${ARN} is pending deletion.`, Updating: `KMSInvalidStateException: ${ARN} is updating.` },
    EnableKey: { Disabled: 'ok', PendingImport: `KMSInvalidStateException: ${ARN} is pending import.` },
    ScheduleKeyDeletion: { Enabled: 'ok', Disabled: 'ok', PendingImport: 'ok', PendingDeletion: `KMSInvalidStateException: ${ARN} is pending deletion.` },
    EnableKeyRotation: { Disabled: `DisabledException: ${ARN} is disabled.`, PendingImport: `UnsupportedOperationException: ${ARN} origin is EXTERNAL which is not valid for this operation.` },
    GetKeyRotationStatus: { Disabled: 'ok', PendingDeletion: 'ok' },
    GetParametersForImport: { Enabled: 'ok', PendingImport: 'ok', PendingDeletion: `KMSInvalidStateException: ${ARN} is pending deletion.`, Updating: `KMSInvalidStateException: ${ARN} is updating.` },
    ImportKeyMaterial: { PendingImport: 'ok', Enabled: 'ok', Disabled: 'ok', PendingDeletion: `KMSInvalidStateException: ${ARN} is pending deletion.`, Creating: `KMSInvalidStateException: ${ARN} is creating.` },
    DeleteImportedKeyMaterial: { Enabled: 'ok', PendingDeletion: 'ok', PendingImport: 'ok', Updating: `KMSInvalidStateException: ${ARN} is updating.` },
    ReplicateKey: { Enabled: 'ok', Disabled: `DisabledException: ${ARN} is disabled.`, PendingReplicaDeletion: `KMSInvalidStateException: ${ARN} is pending replica deletion.` },
    TagResource: { Disabled: 'ok', PendingDeletion: `KMSInvalidStateException: ${ARN} is pending deletion.` },
    CreateGrant: { Unavailable: 'ok', Disabled: `DisabledException: ${ARN} is disabled.` },
  };
  for (const [op, cells] of Object.entries(expected)) {
    for (const [state, want] of Object.entries(cells)) assert.equal(outcome(op, state as KeyState), want, `${op} in ${state}`);
  }
});

test('operations allowed in every state', () => {
  for (const op of ['DescribeKey', 'DeleteAlias', 'GetKeyPolicy', 'PutKeyPolicy', 'ListResourceTags', 'ListKeyPolicies', 'RetireGrant', 'RevokeGrant', 'GetKeyLastUsage']) {
    for (const state of KEY_STATES) assert.equal(outcome(op, state), 'ok', `${op} in ${state}`);
  }
});

test('an operation without a row is a programming error, not a client error', () => {
  assert.throws(() => assertStateAllows('NoSuchOperation', 'Enabled', ARN), (e: Error) => !('code' in e));
});

test('GetPublicKey answers for a Disabled key, as AWS does despite its table (reference §3.5)', () => {
  assert.equal(outcome('GetPublicKey', 'Disabled'), 'ok');
  assert.equal(outcome('GetPublicKey', 'PendingDeletion'), `KMSInvalidStateException: ${ARN} is pending deletion.`);
  assert.equal(outcome('Sign', 'Disabled'), `DisabledException: ${ARN} is disabled.`);
});
