/**
 * A Coffer HSM cluster as the repository keeps it (design/hsm-tier.md §1.1, §2), and the pure
 * rules of the CloudHSMv2 control plane: ids, the synthesised network (VPC, security group,
 * subnet → AZ, ENIs), quotas and the state machines of §2.2. Times are epoch ms. PINs are kept
 * only sealed (the service seals them under the key store's SecretBox before a record is built).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { HsmUserRecord } from './hsm-users.ts';
import type { HsmKeyRecord } from './hsm-keys.ts';
import type { QuorumState } from './hsm-quorum.ts';

export type ClusterState =
  | 'CREATE_IN_PROGRESS' | 'UNINITIALIZED' | 'INITIALIZE_IN_PROGRESS' | 'INITIALIZED' | 'ACTIVE' | 'UPDATE_IN_PROGRESS'
  | 'MODIFY_IN_PROGRESS' | 'ROLLBACK_IN_PROGRESS' | 'DELETE_IN_PROGRESS' | 'DELETED' | 'DEGRADED';
export type HsmState = 'CREATE_IN_PROGRESS' | 'ACTIVE' | 'DEGRADED' | 'DELETE_IN_PROGRESS' | 'DELETED';
export type HsmType = 'hsm1.medium' | 'hsm2m.medium';
export type ClusterMode = 'FIPS' | 'NON_FIPS';

export const HSM_TYPES: readonly HsmType[] = ['hsm1.medium', 'hsm2m.medium'];

export interface ClusterTag {
  readonly Key: string;
  readonly Value: string;
}

export interface HsmRecord {
  readonly hsmId: string;
  readonly availabilityZone: string;
  readonly subnetId: string;
  readonly eniId: string;
  readonly eniIp: string;
  readonly state: HsmState;
  readonly stateMessage?: string;
  readonly createdAt: number;
  /** The token's SO PIN and the system partition's user PIN, sealed (SecretBox ids: pinSealId). */
  readonly soPinSealed: string;
  readonly systemPinSealed: string;
  /** The token's serial, once the job initialised it (from CreateHsm on, for a token of the HSM pool's). */
  readonly tokenSerial?: string;
  /** The HSM pool entry it holds (domain/hsm-pool.ts), when COFFER_HSM_POOL is set. */
  readonly poolEntry?: string;
  /** When a failed creation made it DELETED (it stays in Cluster.Hsms, with its StateMessage, FAILED_HSM_VISIBLE_MS). */
  readonly deletedAt?: number;
}

export interface ClusterRecord {
  readonly clusterId: string;
  readonly accountId: string;
  readonly region: string;
  readonly state: ClusterState;
  readonly stateMessage?: string;
  readonly hsmType: HsmType;
  readonly mode: ClusterMode;
  readonly networkType: 'IPV4' | 'DUALSTACK';
  readonly createdAt: number;
  readonly backupRetentionDays: number;
  readonly vpcId: string;
  readonly securityGroup: string;
  /** AZ → subnet id, in the order the subnets were given. */
  readonly subnetMapping: Readonly<Record<string, string>>;
  /** Every HSM not yet DELETED, in creation order. */
  readonly hsms: readonly HsmRecord[];
  /** PKCS#10 over the cluster identity key (PEM), once the first HSM made it. */
  readonly clusterCsr?: string;
  /** The HSM whose token holds the cluster identity key pair. */
  readonly identityHsmId?: string;
  readonly clusterCertificate?: string;
  readonly trustAnchor?: string;
  /** SHA-256 of the cluster certificate: clusters restored from one cluster's backups share it. */
  readonly lineageId?: string;
  readonly tags: readonly ClusterTag[];
  /** The cluster key (CK, 32 bytes, base64), sealed under clusterKeySealId; made by the INITIALIZE_IN_PROGRESS step. */
  readonly ckSealed?: string;
  /** The HSM users (domain/hsm-users.ts): the unactivated admin from InitializeCluster, then admins and crypto users. */
  readonly users?: readonly HsmUserRecord[];
  /** Crypto users' keys (domain/hsm-keys.ts): owners, sharees, attributes, blobs under CK. */
  readonly keys?: readonly HsmKeyRecord[];
  /** Quorum (token-sign) values, timeout and live tokens (domain/hsm-quorum.ts). */
  readonly quorum?: QuorumState;
  /** Key references deleted (newest last, at most MAX_DELETED_KEYS): an HSM that was away destroys its copies on return. */
  readonly deletedKeys?: readonly string[];
  /** When it reached DELETED (it stays visible DELETED_VISIBLE_MS). */
  readonly deletedAt?: number;
  /** Conditional writes (ports/changes.ts): 1 for a new record, +1 for each change. */
  readonly revision: number;
}

// ---------------------------------------------------------------------------------------------
// Ids (the model's patterns: cluster-[2-7a-zA-Z]{11,16}, hsm-…, eni-[0-9a-fA-F]{8,17}).

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `n` random characters of lowercase RFC 4648 base32. */
export function randomBase32(n: number, random: (bytes: number) => Buffer = randomBytes): string {
  const bytes = random(n);
  let out = '';
  for (let i = 0; i < n; i++) out += BASE32.charAt((bytes[i] as number) & 31);
  return out;
}

export const newClusterId = (): string => `cluster-${randomBase32(11)}`;
export const newHsmId = (): string => `hsm-${randomBase32(11)}`;
export const newEniId = (): string => `eni-${randomBytes(9).toString('hex').slice(0, 17)}`;

/** A random PIN of 32 characters (SO PIN, system partition PIN). */
export const newPin = (): string => randomBytes(24).toString('base64url');

/** The SecretBox id a PIN is sealed under: a sealed PIN opens only as this HSM's. */
export const pinSealId = (hsmId: string, which: 'so' | 'system'): string => `cloudhsm:${hsmId}:${which}`;

/** The token label of an HSM's system partition. */
export const tokenLabelOf = (hsmId: string): string => `coffer:${hsmId}`;

/** The CKA_ID of the cluster identity key pair in the system partition. */
export const IDENTITY_KEY_ID = Buffer.from('coffer-cluster-identity', 'utf8');

export const clusterArn = (region: string, accountId: string, clusterId: string): string =>
  `arn:aws:cloudhsm:${region}:${accountId}:cluster/${clusterId}`;

// ---------------------------------------------------------------------------------------------
// The synthesised network.

/** A stable hex digest of `parts`, `n` characters long (synthesised VPC, security group, subnet prefix). */
const digest = (n: number, ...parts: string[]): string => createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, n);

export const vpcIdOf = (accountId: string, region: string, subnetIds: readonly string[]): string =>
  `vpc-${digest(17, accountId, region, [...subnetIds].sort()[0] ?? '')}`;
export const securityGroupOf = (clusterId: string): string => `sg-${digest(17, clusterId)}`;

/**
 * Subnets get the AZs `<region>a`, `b`, `c`, … in the order given (design §1.1, default slot
 * pool); a subnet named twice is one subnet. Answers AZ → subnet, or the reason it cannot.
 */
export function subnetMappingOf(region: string, subnetIds: readonly string[]): { ok: true; mapping: Record<string, string> } | { ok: false; reason: string } {
  const unique = [...new Set(subnetIds.map((s) => s.toLowerCase()))];
  if (unique.length > 26) return { ok: false, reason: 'At most 26 subnets (one per Availability Zone) can be given.' };
  const mapping: Record<string, string> = {};
  unique.forEach((subnet, i) => { mapping[`${region}${String.fromCharCode(97 + i)}`] = subnet; });
  return { ok: true, mapping };
}

/** The subnet's synthesised /24: `10.<a>.<b>.0/24`, from the subnet id (stable, so an ENI IP can be checked). */
export function subnetPrefixOf(subnetId: string): string {
  const h = Buffer.from(digest(4, subnetId), 'hex');
  return `10.${h[0] as number}.${h[1] as number}`;
}

/** A free address in the subnet's /24 (hosts .4 to .254; AWS keeps .0–.3 and .255). */
export function freeEniIp(subnetId: string, taken: ReadonlySet<string>, pick: (n: number) => number = (n) => Math.floor(Math.random() * n)): string | undefined {
  const prefix = subnetPrefixOf(subnetId);
  const free: string[] = [];
  for (let host = 4; host <= 254; host++) if (!taken.has(`${prefix}.${host}`)) free.push(`${prefix}.${host}`);
  return free.length === 0 ? undefined : free[pick(free.length)];
}

/** Why a requested ENI IP cannot be used in this subnet, or undefined when it can. */
export function eniIpProblem(subnetId: string, ip: string, taken: ReadonlySet<string>): string | undefined {
  const prefix = subnetPrefixOf(subnetId);
  const octets = ip.split('.').map(Number);
  const host = octets[3] as number;
  if (octets.some((o) => o > 255) || !ip.startsWith(`${prefix}.`)) return `The IP address ${ip} is not in the subnet ${subnetId} (${prefix}.0/24).`;
  if (host < 4 || host > 254) return `The IP address ${ip} is reserved in the subnet ${subnetId}.`;
  if (taken.has(ip)) return `The IP address ${ip} is already in use.`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Quotas (AWS defaults) and rules.

export const QUOTAS = { clustersPerRegion: 4, hsmsPerRegion: 6, hsmsPerCluster: 28, tagsPerResource: 50 } as const;
export const RETENTION_DAYS = { min: 7, max: 379, default: 90 } as const;
/** A DELETED cluster's record stays visible this long (Coffer choice, design §2.1). */
export const DELETED_VISIBLE_MS = 7 * 86_400_000;
/** An HSM whose creation failed stays in Cluster.Hsms this long, DELETED with its StateMessage (Coffer choice). */
export const FAILED_HSM_VISIBLE_MS = 3_600_000;

export const INITIALIZE_MESSAGE = 'Cluster is initializing. State will change to INITIALIZED upon completion.';

/** The retention in days of a BackupRetentionPolicy, or the reason it is refused. */
export function retentionDaysOf(policy: { Type?: string; Value?: string } | undefined): { ok: true; days: number } | { ok: false; reason: string } {
  if (policy === undefined) return { ok: true, days: RETENTION_DAYS.default };
  if (policy.Type !== undefined && policy.Type !== 'DAYS') return { ok: false, reason: `Invalid backup retention type ${policy.Type}: only DAYS is supported.` };
  if (policy.Value === undefined) return { ok: false, reason: 'A backup retention policy needs a Value (days).' };
  const days = Number(policy.Value);
  if (!Number.isInteger(days) || days < RETENTION_DAYS.min || days > RETENTION_DAYS.max) {
    return { ok: false, reason: `Invalid backup retention period ${policy.Value}: it must be between ${RETENTION_DAYS.min} and ${RETENTION_DAYS.max} days.` };
  }
  return { ok: true, days };
}

/** HSMs that count toward the quotas and Cluster.Hsms: every one not DELETED. */
export const liveHsms = (c: ClusterRecord): readonly HsmRecord[] => c.hsms.filter((h) => h.state !== 'DELETED');

/** Whether a cluster still counts toward the account's cluster quota. */
export const clusterCounts = (c: ClusterRecord): boolean => c.state !== 'DELETED';

/**
 * When the job runner next has something to do for this cluster (undefined: nothing): now (0) for
 * a state in progress, the cluster's or an HSM's; later for a DELETED record's purge or a failed
 * HSM's removal from the list.
 */
export function dueAt(c: ClusterRecord): number | undefined {
  if (c.state === 'DELETED') return (c.deletedAt ?? 0) + DELETED_VISIBLE_MS;
  if (c.state === 'CREATE_IN_PROGRESS' || c.state === 'INITIALIZE_IN_PROGRESS' || c.state === 'DELETE_IN_PROGRESS') return 0;
  let due: number | undefined;
  for (const h of c.hsms) {
    const at = h.state === 'CREATE_IN_PROGRESS' || h.state === 'DELETE_IN_PROGRESS' ? 0
      : h.state === 'DELETED' ? (h.deletedAt ?? 0) + FAILED_HSM_VISIBLE_MS : undefined;
    if (at !== undefined && (due === undefined || at < due)) due = at;
  }
  // An UNINITIALIZED cluster whose identity HSM was deleted makes a new CSR on an ACTIVE one.
  if (c.state === 'UNINITIALIZED' && c.clusterCsr === undefined && c.hsms.some((h) => h.state === 'ACTIVE')) due = 0;
  return due;
}

/** `ClusterCsr` is answered only while UNINITIALIZED with at least one HSM (design §2.1). */
export const showsCsr = (c: ClusterRecord): boolean => c.state === 'UNINITIALIZED' && liveHsms(c).length > 0 && c.clusterCsr !== undefined;

/** The next revision of a record (every change goes through here). */
export const revise = (c: ClusterRecord, change: Partial<Omit<ClusterRecord, 'revision' | 'clusterId' | 'accountId' | 'region'>>): ClusterRecord =>
  ({ ...c, ...change, revision: c.revision + 1 });

export const withHsm = (c: ClusterRecord, hsmId: string, change: Partial<Omit<HsmRecord, 'hsmId'>>): ClusterRecord =>
  revise(c, { hsms: c.hsms.map((h) => (h.hsmId === hsmId ? { ...h, ...change } : h)) });

/** SHA-256 (hex) of a PEM certificate's DER: the lineage id. */
export function lineageIdOf(pem: string): string {
  const der = Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return createHash('sha256').update(der).digest('hex');
}
