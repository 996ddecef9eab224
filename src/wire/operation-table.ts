/**
 * What each operation is, as data: whether it changes state (its change set then commits with its
 * audit record), whether CloudTrail calls it read-only, the IAM action(s) it is authorized for,
 * the grant operation that can allow it, and the key usage it works with. The pipeline, the
 * authorization helpers and the audit record read this table; nothing guesses from a name.
 * Which key states allow an operation is the key-state table (domain/key-states.ts), keyed by the
 * same names; a test checks that the two and the registries agree.
 */
export type Service = 'kms' | 'iam' | 'sts' | 'cloudtrail' | 'cloudhsm' | 'coffer';

/** The model's KeyUsageType values an operation works with. */
export type Usage = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC' | 'KEY_AGREEMENT';

export interface OperationFacts {
  readonly service: Service;
  readonly name: string;
  /** Changes state: its writes commit in one transaction with its audit record. */
  readonly mutating: boolean;
  /** CloudTrail's `readOnly` (an STS AssumeRole is read-only there, yet stores a session). */
  readonly readOnly: boolean;
  /** The IAM actions it is authorized for (ReEncrypt: from the source key, then to the destination). */
  readonly actions: readonly string[];
  /** The grant operation (GrantOperation enum) that can allow it on a key. */
  readonly grantOperation?: string;
  /** The key usage a KMS key must have for it. */
  readonly usage?: Usage;
}

type Row = Omit<OperationFacts, 'service' | 'name' | 'actions'> & { readonly actions?: readonly string[] };

const read = (extra: Partial<Row> = {}): Row => ({ mutating: false, readOnly: true, ...extra });
const change = (extra: Partial<Row> = {}): Row => ({ mutating: true, readOnly: false, ...extra });
const crypto = (grantOperation: string, usage: Usage, extra: Partial<Row> = {}): Row => read({ grantOperation, usage, ...extra });

const KMS: Readonly<Record<string, Row>> = {
  CancelKeyDeletion: change(),
  ConnectCustomKeyStore: change(),
  CreateAlias: change(),
  CreateCustomKeyStore: change(),
  CreateGrant: change({ grantOperation: 'CreateGrant' }),
  CreateKey: change(),
  Decrypt: crypto('Decrypt', 'ENCRYPT_DECRYPT'),
  DeleteAlias: change(),
  DeleteCustomKeyStore: change(),
  DeleteImportedKeyMaterial: change(),
  DeriveSharedSecret: crypto('DeriveSharedSecret', 'KEY_AGREEMENT'),
  DescribeCustomKeyStores: read(),
  DescribeKey: read({ grantOperation: 'DescribeKey' }),
  DisableKey: change(),
  DisableKeyRotation: change(),
  DisconnectCustomKeyStore: change(),
  EnableKey: change(),
  EnableKeyRotation: change(),
  Encrypt: crypto('Encrypt', 'ENCRYPT_DECRYPT'),
  GenerateDataKey: crypto('GenerateDataKey', 'ENCRYPT_DECRYPT'),
  GenerateDataKeyPair: crypto('GenerateDataKeyPair', 'ENCRYPT_DECRYPT'),
  GenerateDataKeyPairWithoutPlaintext: crypto('GenerateDataKeyPairWithoutPlaintext', 'ENCRYPT_DECRYPT'),
  GenerateDataKeyWithoutPlaintext: crypto('GenerateDataKeyWithoutPlaintext', 'ENCRYPT_DECRYPT'),
  GenerateMac: crypto('GenerateMac', 'GENERATE_VERIFY_MAC'),
  GenerateRandom: read(),
  GetKeyLastUsage: read(),
  GetKeyPolicy: read(),
  GetKeyRotationStatus: read(),
  // Stores nothing: the import token carries its parameters sealed.
  GetParametersForImport: read(),
  GetPublicKey: read({ grantOperation: 'GetPublicKey' }),
  ImportKeyMaterial: change(),
  ListAliases: read(),
  ListGrants: read(),
  ListKeyPolicies: read(),
  ListKeyRotations: read(),
  ListKeys: read(),
  ListResourceTags: read(),
  ListRetirableGrants: read(),
  PutKeyPolicy: change(),
  ReEncrypt: crypto('ReEncryptFrom', 'ENCRYPT_DECRYPT', { actions: ['kms:ReEncryptFrom', 'kms:ReEncryptTo'] }),
  ReplicateKey: change(),
  RetireGrant: change({ grantOperation: 'RetireGrant' }),
  RevokeGrant: change(),
  RotateKeyOnDemand: change(),
  ScheduleKeyDeletion: change(),
  Sign: crypto('Sign', 'SIGN_VERIFY'),
  TagResource: change(),
  UntagResource: change(),
  UpdateAlias: change(),
  UpdateCustomKeyStore: change(),
  UpdateKeyDescription: change(),
  UpdatePrimaryRegion: change(),
  Verify: crypto('Verify', 'SIGN_VERIFY'),
  VerifyMac: crypto('VerifyMac', 'GENERATE_VERIFY_MAC'),
};

const IAM_CHANGES = [
  'AddUserToGroup', 'AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy', 'CreateAccessKey', 'CreateGroup', 'CreatePolicy',
  'CreateRole', 'CreateUser', 'DeleteAccessKey', 'DeleteGroup', 'DeleteGroupPolicy', 'DeletePolicy', 'DeleteRole', 'DeleteRolePolicy',
  'DeleteUser', 'DeleteUserPolicy', 'DetachGroupPolicy', 'DetachRolePolicy', 'DetachUserPolicy', 'PutGroupPolicy', 'PutRolePolicy',
  'PutUserPolicy', 'RemoveUserFromGroup', 'TagRole', 'TagUser', 'UntagRole', 'UntagUser', 'UpdateAccessKey', 'UpdateAssumeRolePolicy',
] as const;
const IAM_READS = [
  'GetGroup', 'GetGroupPolicy', 'GetPolicy', 'GetPolicyVersion', 'GetRole', 'GetRolePolicy', 'GetUser', 'GetUserPolicy',
  'ListAccessKeys', 'ListAttachedGroupPolicies', 'ListAttachedRolePolicies', 'ListAttachedUserPolicies', 'ListGroupPolicies',
  'ListGroups', 'ListGroupsForUser', 'ListPolicies', 'ListRolePolicies', 'ListRoleTags', 'ListRoles', 'ListUserPolicies',
  'ListUserTags', 'ListUsers',
] as const;

const STS: Readonly<Record<string, Row>> = {
  // CloudTrail calls it read-only; it stores the new session.
  AssumeRole: { mutating: true, readOnly: true },
  GetCallerIdentity: read(),
};

const CLOUDTRAIL: Readonly<Record<string, Row>> = { LookupEvents: read() };

/** CloudHSMv2 (IAM prefix `cloudhsm`): the control-plane operations Coffer answers. */
const CLOUDHSM: Readonly<Record<string, Row>> = {
  CreateCluster: change(),
  CreateHsm: change(),
  DeleteCluster: change(),
  DeleteHsm: change(),
  DescribeClusters: read(),
  InitializeCluster: change(),
  ListTags: read(),
  ModifyCluster: change(),
  TagResource: change(),
  UntagResource: change(),
  // The Coffer HSM data plane (X-Amz-Target CofferHsmService.*, operations/cloudhsm/hsm-data-plane.ts).
  ActivateCluster: change(),
  CreateUser: change(),
  ListUsers: read(),
  ChangePassword: change(),
  DeleteUser: change(),
  // Quorum token-sign (operations/cloudhsm/hsm-quorum-plane.ts).
  GenerateQuorumToken: change(),
  RegisterQuorumKey: change(),
  DeleteQuorumTokens: change(),
  SetQuorumValue: change(),
  SetQuorumTimeout: change(),
  ListQuorumValues: read(),
  ListQuorumTimeouts: read(),
  ListQuorumTokens: read(),
  // Crypto users' keys (operations/cloudhsm/hsm-key-plane.ts): state changes all, so that a failed HSM login is counted.
  GenerateSymmetricKey: change(),
  GenerateKeyPair: change(),
  ListKeys: { mutating: true, readOnly: true },
  DeleteKey: change(),
  SetKeyAttribute: change(),
  ShareKey: change(),
  UnshareKey: change(),
  Sign: { mutating: true, readOnly: true },
  Verify: { mutating: true, readOnly: true },
  Pkcs11Uris: { mutating: true, readOnly: true },
  Login: { mutating: true, readOnly: true },
  WrapKey: { mutating: true, readOnly: true },
  UnwrapKey: change(),
};

/** Coffer's admin API (X-Amz-Target CofferAdminService.*, IAM prefix `coffer`, operations/coffer/admin.ts). */
const COFFER: Readonly<Record<string, Row>> = {
  CreateAccount: change(),
  ListAccounts: read(),
  GetAuditPublicKey: read(),
  ExportAuditRecords: read(),
  ListAuditDigests: read(),
  // Removes records (not through a change set): mutating, so it runs one at a time and its record is kept.
  PruneAuditTrail: change(),
};

function facts(service: Service, rows: Readonly<Record<string, Row>>): ReadonlyMap<string, OperationFacts> {
  return new Map(Object.entries(rows).map(([name, r]) => [name, { service, name, ...r, actions: r.actions ?? [`${service}:${name}`] }]));
}

export const OPERATION_TABLE: Readonly<Record<Service, ReadonlyMap<string, OperationFacts>>> = {
  kms: facts('kms', KMS),
  iam: facts('iam', {
    ...Object.fromEntries(IAM_CHANGES.map((n) => [n, change()])),
    ...Object.fromEntries(IAM_READS.map((n) => [n, read()])),
  }),
  sts: facts('sts', STS),
  cloudtrail: facts('cloudtrail', CLOUDTRAIL),
  cloudhsm: facts('cloudhsm', CLOUDHSM),
  coffer: facts('coffer', COFFER),
};

/** The facts of an operation, or undefined for a name the service does not have. */
export function operationFacts(service: Service, name: string): OperationFacts | undefined {
  return OPERATION_TABLE[service].get(name);
}
