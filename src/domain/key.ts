/**
 * The KMS key as Coffer keeps it, and its projection to AWS's KeyMetadata. Times are epoch ms.
 * Secret key material is never part of this record: each version lives in a MaterialRecord,
 * wrapped. An asymmetric key's public key is not secret and is kept here.
 */
import type {
  CustomerMasterKeySpec, EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec, KeyMetadata, MacAlgorithmSpec, SigningAlgorithmSpec, Tag,
} from '@aws-sdk/client-kms';
import type { KeyState } from './key-states.ts';
import { capabilitiesOf, type KeySpec, type KeyUsage } from './key-specs.ts';

export type Origin = 'AWS_KMS' | 'EXTERNAL' | 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';
export type RotationType = 'AUTOMATIC' | 'ON_DEMAND';

export interface RotationSettings {
  readonly enabled: boolean;
  readonly periodDays: number;
  /** When the scheduler next rotates the key (only while enabled). */
  readonly nextRotationDate?: number;
}

export interface KeyRecord {
  readonly arn: string;
  readonly keyId: string;
  readonly accountId: string;
  readonly region: string;
  readonly creationDate: number;
  readonly description: string;
  readonly keySpec: KeySpec;
  readonly keyUsage: KeyUsage;
  readonly origin: Origin;
  readonly multiRegion: boolean;
  readonly state: KeyState;
  readonly deletionDate?: number;
  readonly pendingWindowInDays?: number;
  readonly rotation: RotationSettings;
  readonly onDemandRotations: number;
  readonly currentMaterialId: string;
  /** Asymmetric keys: the public key as base64 DER SubjectPublicKeyInfo. */
  readonly publicKey?: string;
  readonly policy: string;
  readonly tags: readonly Tag[];
}

export interface MaterialRecord {
  readonly keyArn: string;
  /** 64 lowercase hex characters (AWS's KeyMaterialId). */
  readonly materialId: string;
  readonly domainKeyId: string;
  readonly wrapped: Buffer;
  readonly createdAt: number;
  /** How this material came to be: absent for the key's first material. */
  readonly rotationType?: RotationType;
}

export const DEFAULT_ROTATION_PERIOD_DAYS = 365;

export interface AlgorithmLists {
  EncryptionAlgorithms?: EncryptionAlgorithmSpec[];
  SigningAlgorithms?: SigningAlgorithmSpec[];
  MacAlgorithms?: MacAlgorithmSpec[];
  KeyAgreementAlgorithms?: KeyAgreementAlgorithmSpec[];
}

/** The algorithm list of the key's usage, under the member name KeyMetadata and GetPublicKey use for it. */
export function algorithmLists(k: Pick<KeyRecord, 'keySpec' | 'keyUsage'>): AlgorithmLists {
  const caps = capabilitiesOf(k.keySpec);
  switch (k.keyUsage) {
    case 'ENCRYPT_DECRYPT': return { EncryptionAlgorithms: [...caps.encryptionAlgorithms] };
    case 'SIGN_VERIFY': return { SigningAlgorithms: [...caps.signingAlgorithms] };
    case 'GENERATE_VERIFY_MAC': return { MacAlgorithms: [...caps.macAlgorithms] };
    case 'KEY_AGREEMENT': return { KeyAgreementAlgorithms: [...caps.keyAgreementAlgorithms] };
  }
}

export function keyMetadata(k: KeyRecord): KeyMetadata {
  const caps = capabilitiesOf(k.keySpec);
  const m: KeyMetadata = {
    AWSAccountId: k.accountId,
    KeyId: k.keyId,
    Arn: k.arn,
    CreationDate: new Date(k.creationDate),
    Enabled: k.state === 'Enabled',
    Description: k.description,
    KeyUsage: k.keyUsage,
    KeyState: k.state,
    Origin: k.origin,
    KeyManager: 'CUSTOMER',
    KeySpec: k.keySpec,
    MultiRegion: k.multiRegion,
  };
  // Only symmetric encryption keys have (rotatable) key material versions to name.
  if (caps.keyType === 'SYMMETRIC') m.CurrentKeyMaterialId = k.currentMaterialId;
  // The deprecated CustomerMasterKeySpec has no value for the newer specs (Ed25519, ML-DSA).
  if (caps.legacySpec) m.CustomerMasterKeySpec = k.keySpec as CustomerMasterKeySpec;
  Object.assign(m, algorithmLists(k));
  if (k.deletionDate !== undefined) {
    m.DeletionDate = new Date(k.deletionDate);
    if (k.pendingWindowInDays !== undefined) m.PendingDeletionWindowInDays = k.pendingWindowInDays;
  }
  return m;
}

/** The DER SPKI public key of an asymmetric key. */
export function publicKeyOf(k: KeyRecord): Buffer {
  if (k.publicKey === undefined) throw new Error(`key ${k.arn} has no public key`);
  return Buffer.from(k.publicKey, 'base64');
}
