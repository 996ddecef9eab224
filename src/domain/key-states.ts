/**
 * Which operation each key state allows: the key-state table of the KMS Developer Guide
 * (reference §3.7), kept as data. A cell is either OK or the footnote whose error the operation
 * raises. Conditional cells ([7], [9], [10]: origin- or key-type-dependent) are OK here; the
 * operation applies its own rule after this check.
 */
import { DisabledException, KMSInvalidStateException, UnsupportedOperationException } from '../errors/kms-errors.ts';
import type { AwsError } from '../errors/aws-error.ts';

export const KEY_STATES = [
  'Creating', 'Enabled', 'Disabled', 'PendingDeletion', 'PendingImport', 'PendingReplicaDeletion', 'Unavailable', 'Updating',
] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** A cell: 'ok', or the footnote number of the error. */
type Cell = 'ok' | 1 | 3 | 4 | 5 | 6 | 11 | 14 | 15;
/** Columns: Enabled, Disabled, PendingDeletion (and PendingReplicaDeletion), PendingImport, Unavailable, Creating, Updating. */
type Row = readonly [Cell, Cell, Cell, Cell, Cell, Cell, Cell];

const ALWAYS: Row = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'];
const CRYPTO: Row = ['ok', 1, 3, 5, 11, 14, 'ok'];
const MANAGE: Row = ['ok', 'ok', 3, 'ok', 'ok', 'ok', 'ok'];
const ROTATION: Row = ['ok', 1, 3, 6, 11, 14, 'ok'];

export const KEY_STATE_TABLE: Readonly<Record<string, Row>> = {
  CancelKeyDeletion: [4, 4, 'ok', 4, 4, 4, 4],
  CreateAlias: MANAGE,
  CreateGrant: ['ok', 1, 3, 5, 'ok', 14, 'ok'],
  Decrypt: CRYPTO,
  DeleteAlias: ALWAYS,
  // [9] (the key cannot have imported material) is the operation's own origin check.
  DeleteImportedKeyMaterial: ['ok', 'ok', 'ok', 'ok', 'ok', 14, 15],
  DescribeKey: ALWAYS,
  DisableKey: ['ok', 'ok', 3, 5, 'ok', 14, 15],
  DisableKeyRotation: ROTATION,
  EnableKey: ['ok', 'ok', 3, 5, 'ok', 14, 15],
  EnableKeyRotation: ROTATION,
  Encrypt: CRYPTO,
  GenerateDataKey: CRYPTO,
  GenerateDataKeyPair: CRYPTO,
  GenerateDataKeyPairWithoutPlaintext: CRYPTO,
  GenerateDataKeyWithoutPlaintext: CRYPTO,
  GenerateMac: CRYPTO,
  GetKeyPolicy: ALWAYS,
  GetKeyRotationStatus: ['ok', 'ok', 'ok', 6, 11, 'ok', 'ok'],
  // [8] for a key pending deletion is [3]'s error; [9] is the operation's origin check.
  GetParametersForImport: ['ok', 'ok', 3, 'ok', 'ok', 14, 15],
  // AWS answers GetPublicKey for a Disabled key despite its own table (reference §3.5).
  GetPublicKey: ['ok', 'ok', 3, 5, 11, 14, 'ok'],
  ImportKeyMaterial: ['ok', 'ok', 3, 'ok', 'ok', 14, 'ok'],
  ListAliases: ALWAYS,
  ListGrants: ALWAYS,
  ListKeyPolicies: ALWAYS,
  ListResourceTags: ALWAYS,
  PutKeyPolicy: ALWAYS,
  ReEncrypt: CRYPTO,
  ReplicateKey: ['ok', 1, 3, 5, 11, 14, 15],
  RetireGrant: ALWAYS,
  RevokeGrant: ALWAYS,
  ScheduleKeyDeletion: ['ok', 'ok', 3, 'ok', 'ok', 'ok', 15],
  Sign: CRYPTO,
  TagResource: MANAGE,
  UntagResource: MANAGE,
  UpdateAlias: MANAGE,
  UpdateKeyDescription: MANAGE,
  UpdatePrimaryRegion: ['ok', 1, 3, 5, 11, 14, 'ok'],
  Verify: CRYPTO,
  VerifyMac: CRYPTO,
  DeriveSharedSecret: CRYPTO,
  RotateKeyOnDemand: ['ok', 1, 3, 5, 11, 14, 'ok'],
  ListKeyRotations: ['ok', 'ok', 'ok', 'ok', 11, 'ok', 'ok'],
  GetKeyLastUsage: ALWAYS,
};

const COLUMN: Readonly<Record<KeyState, number>> = {
  Enabled: 0, Disabled: 1, PendingDeletion: 2, PendingReplicaDeletion: 2, PendingImport: 3, Unavailable: 4, Creating: 5, Updating: 6,
};

function footnoteError(cell: Exclude<Cell, 'ok'>, arn: string, state: KeyState): AwsError {
  switch (cell) {
    case 1: return new DisabledException(`${arn} is disabled.`);
    case 3: return new KMSInvalidStateException(`${arn} is ${state === 'PendingReplicaDeletion' ? 'pending replica deletion' : 'pending deletion'}.`);
    case 4: return new KMSInvalidStateException(`${arn} is not pending deletion.`);
    case 5: return new KMSInvalidStateException(`${arn} is pending import.`);
    case 6: return new UnsupportedOperationException(`${arn} origin is EXTERNAL which is not valid for this operation.`);
    case 11: return new KMSInvalidStateException(`${arn} is unavailable.`);
    case 14: return new KMSInvalidStateException(`${arn} is creating.`);
    case 15: return new KMSInvalidStateException(`${arn} is updating.`);
  }
}

/** Throws the table's error when `operation` is not allowed on a key in `state`. */
export function assertStateAllows(operation: string, state: KeyState, arn: string): void {
  const row = KEY_STATE_TABLE[operation];
  if (!row) throw new Error(`no key-state row for ${operation}`);
  const cell = row[COLUMN[state]];
  if (cell !== undefined && cell !== 'ok') throw footnoteError(cell, arn, state);
}
