/**
 * The KMS key as Coffer keeps it, and its projection to AWS's KeyMetadata. Times are epoch ms.
 * Secret key material is never part of this record: each version lives in a MaterialRecord,
 * wrapped. An asymmetric key's public key is not secret and is kept here.
 */
import type {
  CustomerMasterKeySpec, EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec, KeyMetadata, MacAlgorithmSpec, MultiRegionConfiguration,
  SigningAlgorithmSpec, Tag,
} from '@aws-sdk/client-kms';
import type { KeyState } from './key-states.ts';
import { capabilitiesOf, type KeySpec, type KeyUsage } from './key-specs.ts';

export type Origin = 'AWS_KMS' | 'EXTERNAL' | 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';
export type RotationType = 'AUTOMATIC' | 'ON_DEMAND';
export type MultiRegionKeyType = 'PRIMARY' | 'REPLICA';
export type ExpirationModel = 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';

/**
 * One key material associated with an EXTERNAL key (no secret: the material itself is a wrapped
 * MaterialRecord while it is imported, and nowhere once deleted or expired).
 */
export interface ImportedMaterial {
  /** Derived from the key id and the material (crypto/imported-material.ts). */
  readonly materialId: string;
  /** When the material was first associated with the key (orders ListKeyRotations). */
  readonly associatedAt: number;
  /** Imported for on-demand rotation and not yet made current (PENDING_ROTATION). */
  readonly pendingRotation: boolean;
  /** The material is in Coffer (a wrapped MaterialRecord exists); false once deleted or expired. */
  readonly imported: boolean;
  /** While imported: the terms of the last import. */
  readonly expirationModel?: ExpirationModel;
  readonly validTo?: number;
  readonly description?: string;
  /** Set when an on-demand rotation made this material current. */
  readonly rotationDate?: number;
  readonly rotationType?: RotationType;
}

export interface RotationSettings {
  readonly enabled: boolean;
  readonly periodDays: number;
  /** When the scheduler next rotates the key (only while enabled). */
  readonly nextRotationDate?: number;
}

export interface KeyRecord {
  /**
   * How many times the stored record was written (absent: never stored, or stored by a Coffer
   * before revisions). A change of the record names the revision it was made from, and storage
   * refuses it when the stored one has moved (another writer changed the key meanwhile).
   */
  readonly revision?: number;
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
  /** Multi-Region keys: this key's role; its set is every key of the account with its key id. */
  readonly multiRegionKeyType?: MultiRegionKeyType;
  /** Origin AWS_CLOUDHSM: the custom key store holding its material, and that store's cluster when the key was made. */
  readonly customKeyStoreId?: string;
  readonly cloudHsmClusterId?: string;
  /** EXTERNAL keys: every material associated with the key, oldest first. */
  readonly importedMaterials?: readonly ImportedMaterial[];
  /** AWS managed keys (KeyManager AWS): the service of `alias/aws/<service>` (domain/aws-managed-keys.ts). */
  readonly awsService?: string;
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

/** Imported materials that are permanently associated (not pending rotation) and present. */
const heldImports = (k: KeyRecord): readonly ImportedMaterial[] => (k.importedMaterials ?? []).filter((m) => m.imported && !m.pendingRotation);

/** The earliest expiry of the key's imported materials (the scheduler's due date), if any. */
export function nextMaterialExpiry(k: KeyRecord): number | undefined {
  const dates = (k.importedMaterials ?? []).flatMap((m) => (m.imported && m.validTo !== undefined ? [m.validTo] : []));
  return dates.length > 0 ? Math.min(...dates) : undefined;
}

/**
 * KeyMetadata of a key. `multiRegion` is the key's MultiRegionConfiguration (multi-Region keys
 * only; domain/multi-region.ts computes it from the key's set).
 */
export function keyMetadata(k: KeyRecord, multiRegion?: MultiRegionConfiguration): KeyMetadata {
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
    KeyManager: k.awsService === undefined ? 'CUSTOMER' : 'AWS',
    KeySpec: k.keySpec,
    MultiRegion: k.multiRegion,
  };
  // Only symmetric encryption keys have (rotatable) key material versions to name; an EXTERNAL
  // key has none until its first import.
  if (caps.keyType === 'SYMMETRIC' && k.currentMaterialId !== '') m.CurrentKeyMaterialId = k.currentMaterialId;
  const held = heldImports(k);
  if (k.origin === 'EXTERNAL' && held.length > 0) {
    const expiries = held.flatMap((x) => (x.validTo !== undefined ? [x.validTo] : []));
    m.ExpirationModel = expiries.length > 0 ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE';
    if (expiries.length > 0) m.ValidTo = new Date(Math.min(...expiries));
  }
  if (multiRegion !== undefined && k.multiRegion) m.MultiRegionConfiguration = multiRegion;
  // The deprecated CustomerMasterKeySpec has no value for the newer specs (Ed25519, ML-DSA).
  if (caps.legacySpec) m.CustomerMasterKeySpec = k.keySpec as CustomerMasterKeySpec;
  Object.assign(m, algorithmLists(k));
  if (k.deletionDate !== undefined) m.DeletionDate = new Date(k.deletionDate);
  if (k.customKeyStoreId !== undefined) m.CustomKeyStoreId = k.customKeyStoreId;
  if (k.cloudHsmClusterId !== undefined) m.CloudHsmClusterId = k.cloudHsmClusterId;
  // A primary waiting for its replicas (PendingReplicaDeletion) has a window but no date yet.
  if (k.pendingWindowInDays !== undefined && (k.state === 'PendingDeletion' || k.state === 'PendingReplicaDeletion')) {
    m.PendingDeletionWindowInDays = k.pendingWindowInDays;
  }
  return m;
}

/** The DER SPKI public key of an asymmetric key. */
export function publicKeyOf(k: KeyRecord): Buffer {
  if (k.publicKey === undefined) throw new Error(`key ${k.arn} has no public key`);
  return Buffer.from(k.publicKey, 'base64');
}
