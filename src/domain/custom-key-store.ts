/**
 * AWS_CLOUDHSM custom key stores (design/hsm-tier.md §4.1), as data and rules: the record, its
 * connection states, the checks of each operation in the order AWS makes them, the connect job's
 * failure codes, and the key state a key of a store shows. Pure: the operations read the store and
 * its cluster and apply these rules; the connect job runs the steps and records what they found.
 *
 * The rules:
 * - Create: the name is unused in the account and region (CustomKeyStoreNameInUseException); at
 *   most 10 stores (LimitExceededException); the cluster exists (CloudHsmClusterNotFoundException)
 *   and is active (CloudHsmClusterNotActiveException); the trust anchor is the cluster's, compared
 *   as DER (IncorrectTrustAnchorException); the cluster has ≥ 2 subnets and ≥ 2 ACTIVE HSMs in
 *   distinct Availability Zones (CloudHsmClusterInvalidConfigurationException); no other store uses
 *   the cluster or one of its lineage (a cluster restored from the same backups: same certificate)
 *   (CloudHsmClusterInUseException). The password is kept sealed and NOT checked: connect checks it.
 * - Connect: DISCONNECTING or FAILED → CustomKeyStoreInvalidStateException (a FAILED store is
 *   disconnected first); CONNECTED or CONNECTING: nothing to do; the cluster must be active.
 * - Disconnect: DISCONNECTING or DISCONNECTED → CustomKeyStoreInvalidStateException.
 * - Update: only the name may change unless the store is DISCONNECTED; a new cluster must be of the
 *   same lineage (CloudHsmClusterNotRelatedException) and meet Create's cluster checks.
 * - Delete: only DISCONNECTED, and with no KMS key left (PendingDeletion included).
 * - A key in a store that is not CONNECTED shows `Unavailable` when it is Enabled or Disabled (its
 *   recorded state comes back on reconnect); PendingDeletion stays what it is.
 */
import {
  CloudHsmClusterInUseException, CloudHsmClusterInvalidConfigurationException, CloudHsmClusterNotActiveException,
  CloudHsmClusterNotFoundException, CloudHsmClusterNotRelatedException, CustomKeyStoreHasCMKsException,
  CustomKeyStoreInvalidStateException, CustomKeyStoreNameInUseException, IncorrectTrustAnchorException, LimitExceededException,
} from '../errors/kms-errors.ts';
import type { AwsError } from '../errors/aws-error.ts';
import type { KeyState } from './key-states.ts';

export const CONNECTION_STATES = ['CONNECTED', 'CONNECTING', 'FAILED', 'DISCONNECTED', 'DISCONNECTING'] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** The codes a CloudHSM store's connect job can end with (the model's ConnectionErrorCodeType, CloudHSM part). */
export type ConnectionErrorCode =
  | 'INVALID_CREDENTIALS' | 'CLUSTER_NOT_FOUND' | 'NETWORK_ERRORS' | 'INTERNAL_ERROR' | 'INSUFFICIENT_CLOUDHSM_HSMS'
  | 'USER_LOCKED_OUT' | 'USER_NOT_FOUND' | 'USER_LOGGED_IN' | 'SUBNET_NOT_FOUND';

/** At most this many custom key stores per account and region (AWS's quota). */
export const MAX_CUSTOM_KEY_STORES = 10;

/** The crypto user whose partition holds a store's keys. */
export const KMS_USER = 'kmsuser';

export interface CustomKeyStoreRecord {
  /** `cks-` and 17 hexadecimal digits, as AWS's. */
  readonly id: string;
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  readonly type: 'AWS_CLOUDHSM';
  readonly clusterId: string;
  readonly trustAnchorPem: string;
  /** The kmsuser password as the store knows it, sealed (owner: the store id). */
  readonly sealedPassword: { readonly domainKeyId: string; readonly wrapped: Buffer };
  readonly state: ConnectionState;
  /** Only when FAILED. */
  readonly errorCode?: ConnectionErrorCode | undefined;
  readonly creationDate: number;
  readonly revision: number;
}

/** What the key-store rules need of a CloudHSM cluster. */
export interface ClusterView {
  readonly id: string;
  /** The cluster's state (CloudHSMv2's enum). */
  readonly state: string;
  readonly trustAnchorPem: string | undefined;
  /** SHA-256 of the cluster certificate: clusters restored from one cluster's backups share it. */
  readonly lineageId: string | undefined;
  /** The Availability Zones of its subnets. */
  readonly subnetAzs: readonly string[];
  /** Its ACTIVE HSMs and their zones. */
  readonly activeHsms: readonly { readonly hsmId: string; readonly az: string }[];
}

/** Whether the cluster counts as active for a key store: initialised and activated (an HSM may be degraded). */
export const clusterActive = (c: ClusterView): boolean => c.state === 'ACTIVE' || c.state === 'DEGRADED';

/** The cluster checks Create and Update share, in AWS's order; undefined when the cluster will do. */
export function clusterProblem(clusterId: string, cluster: ClusterView | undefined): AwsError | undefined {
  if (cluster === undefined) return new CloudHsmClusterNotFoundException(`AWS CloudHSM cluster ${clusterId} was not found.`);
  if (!clusterActive(cluster)) return new CloudHsmClusterNotActiveException(`AWS CloudHSM cluster ${clusterId} is not active (${cluster.state}). Initialize and activate it first.`);
  if (new Set(cluster.subnetAzs).size < 2) {
    return new CloudHsmClusterInvalidConfigurationException(`AWS CloudHSM cluster ${clusterId} must have subnets in at least two Availability Zones.`);
  }
  if (new Set(cluster.activeHsms.map((h) => h.az)).size < 2) {
    return new CloudHsmClusterInvalidConfigurationException(`AWS CloudHSM cluster ${clusterId} must contain at least two active HSMs, each in a different Availability Zone.`);
  }
  return undefined;
}

export interface CreateInput {
  readonly name: string;
  readonly clusterId: string;
  readonly trustAnchorPem: string;
}

/** Create's checks in order (the module comment); `sameCertificate` compares two PEM certificates as DER. */
export function createProblem(
  input: CreateInput,
  stores: readonly CustomKeyStoreRecord[],
  cluster: ClusterView | undefined,
  lineageOf: (clusterId: string) => string | undefined,
  sameCertificate: (a: string, b: string) => boolean,
): AwsError | undefined {
  if (stores.some((s) => s.name === input.name)) return new CustomKeyStoreNameInUseException(`Custom key store name ${input.name} is already in use.`);
  if (stores.length >= MAX_CUSTOM_KEY_STORES) return new LimitExceededException(`The account has reached the limit of ${MAX_CUSTOM_KEY_STORES} custom key stores.`);
  if (cluster === undefined) return clusterProblem(input.clusterId, cluster);
  if (!clusterActive(cluster)) return clusterProblem(input.clusterId, cluster);
  if (cluster.trustAnchorPem === undefined || !sameCertificate(cluster.trustAnchorPem, input.trustAnchorPem)) {
    return new IncorrectTrustAnchorException(`The trust anchor certificate does not match the trust anchor of AWS CloudHSM cluster ${input.clusterId}.`);
  }
  const configuration = clusterProblem(input.clusterId, cluster);
  if (configuration !== undefined) return configuration;
  const inUse = stores.find((s) => s.clusterId === input.clusterId || (cluster.lineageId !== undefined && lineageOf(s.clusterId) === cluster.lineageId));
  if (inUse !== undefined) return new CloudHsmClusterInUseException(`AWS CloudHSM cluster ${input.clusterId} (or a cluster related to it) is already associated with custom key store ${inUse.id}.`);
  return undefined;
}

const invalidState = (s: CustomKeyStoreRecord, what: string): AwsError =>
  new CustomKeyStoreInvalidStateException(`Custom key store ${s.id} is ${s.state}: ${what}.`);

/** Connect: undefined to start connecting, 'already' when it is CONNECTED or CONNECTING, else the error. */
export function connectProblem(s: CustomKeyStoreRecord, cluster: ClusterView | undefined): AwsError | 'already' | undefined {
  if (s.state === 'DISCONNECTING' || s.state === 'FAILED') return invalidState(s, s.state === 'FAILED' ? 'disconnect it before connecting it again' : 'wait until it is disconnected');
  if (s.state === 'CONNECTED' || s.state === 'CONNECTING') return 'already';
  if (cluster === undefined || !clusterActive(cluster)) {
    return new CloudHsmClusterNotActiveException(`AWS CloudHSM cluster ${s.clusterId} associated with custom key store ${s.id} is not active.`);
  }
  return undefined;
}

export function disconnectProblem(s: CustomKeyStoreRecord): AwsError | undefined {
  return s.state === 'DISCONNECTING' || s.state === 'DISCONNECTED' ? invalidState(s, 'it is not connected') : undefined;
}

export function deleteProblem(s: CustomKeyStoreRecord, keys: number): AwsError | undefined {
  if (s.state !== 'DISCONNECTED') return invalidState(s, 'disconnect it before deleting it');
  if (keys > 0) return new CustomKeyStoreHasCMKsException(`Custom key store ${s.id} still has ${keys} KMS key${keys === 1 ? '' : 's'}: delete them first.`);
  return undefined;
}

export interface UpdateInput {
  readonly newName?: string | undefined;
  readonly password?: boolean;
  readonly clusterId?: string | undefined;
}

/** Update's checks; `cluster` is the new cluster's view when a new cluster id is given. */
export function updateProblem(
  s: CustomKeyStoreRecord,
  input: UpdateInput,
  stores: readonly CustomKeyStoreRecord[],
  currentLineage: string | undefined,
  cluster: ClusterView | undefined,
): AwsError | undefined {
  const onlyName = input.password !== true && input.clusterId === undefined;
  if (!onlyName && s.state !== 'DISCONNECTED') return invalidState(s, 'only its name can change unless it is disconnected');
  if (input.newName !== undefined && stores.some((o) => o.id !== s.id && o.name === input.newName)) {
    return new CustomKeyStoreNameInUseException(`Custom key store name ${input.newName} is already in use.`);
  }
  if (input.clusterId !== undefined && input.clusterId !== s.clusterId) {
    if (cluster === undefined) return clusterProblem(input.clusterId, cluster);
    if (cluster.lineageId === undefined || cluster.lineageId !== currentLineage) {
      return new CloudHsmClusterNotRelatedException(`AWS CloudHSM cluster ${input.clusterId} is not related to ${s.clusterId}: it must share its cluster certificate (be restored from its backups).`);
    }
    return clusterProblem(input.clusterId, cluster);
  }
  return undefined;
}

/** The key state a key of this store shows (the module comment). */
export function keyStateIn(store: ConnectionState, recorded: KeyState): KeyState {
  return store !== 'CONNECTED' && (recorded === 'Enabled' || recorded === 'Disabled') ? 'Unavailable' : recorded;
}

/** What a failed login on the kmsuser partition becomes (design §4.1, the connect job). */
export function connectErrorOf(kind: string): ConnectionErrorCode {
  switch (kind) {
    case 'pin-incorrect': return 'INVALID_CREDENTIALS';
    case 'pin-locked': return 'USER_LOCKED_OUT';
    case 'token-not-present':
    case 'device-error': return 'NETWORK_ERRORS';
    default: return 'INTERNAL_ERROR';
  }
}

/** A new store id: `cks-` and 17 hexadecimal digits from `random` (9 bytes). */
export function newCustomKeyStoreId(random: Buffer): string {
  return `cks-${random.toString('hex').slice(0, 17)}`;
}
