/**
 * The audit trail's boundaries. `AuditSink` is what the request pipelines and the scheduler tell
 * about each call and each service event; `AuditStore` is where the hash-chained records, their
 * signed digests and the audit signing key are kept (the SQLite adapter shares the keys'
 * database, so a mutation and its record commit in one transaction).
 */
import type { Caller, RequestInfo } from '../domain/principal.ts';
import type { Change } from './changes.ts';

/** The services whose calls are recorded (their CloudTrail `eventSource` is `<service>.amazonaws.com`). */
export type AuditService = 'kms' | 'iam' | 'sts' | 'cloudtrail' | 'cloudhsm' | 'coffer';

/** One finished API call, as the pipeline saw it. */
export interface ApiCall {
  readonly service: AuditService;
  /** The operation (`Encrypt`), or what the request named when it was not one. */
  readonly operation: string;
  /** Undefined when the request was not authenticated. */
  readonly caller: Caller | undefined;
  /** The access key id the request was signed with, when known (also for failed authentication). */
  readonly accessKeyId: string | undefined;
  readonly region: string;
  readonly requestId: string;
  readonly request: RequestInfo;
  /** The validated input (model member names); undefined when the request did not get that far. */
  readonly input: Readonly<Record<string, unknown>> | undefined;
  readonly output: object | undefined;
  readonly error: { readonly code: string; readonly message: string } | undefined;
  /** ARNs of the keys (and other resources) the call touched, as the authorizer saw them. */
  readonly resources: ReadonlySet<string>;
  /**
   * Set for a change Coffer made itself on the operator's instruction (the seed file) rather than
   * for a request: the record is an AwsServiceEvent whose userIdentity is an `AWSService` of this
   * name in this account, so the trail shows who made it.
   */
  readonly invokedBy?: { readonly name: string; readonly accountId: string } | undefined;
}

/** Something Coffer did by itself (the scheduler deleting or rotating a key): an AwsServiceEvent record. */
export interface ServiceEvent {
  /** CloudTrail's eventName: DeleteKey, RotateKey, DeleteImportedKeyMaterial, … */
  readonly eventName: string;
  readonly keyArn: string;
}

export interface AuditSink {
  /** Queues a call's record for the group commit (read-only and failed calls). */
  record(call: ApiCall): void;
  /**
   * Commits a change set with the record of the call that made it (or the service events of a
   * scheduler pass) in one transaction: both or neither.
   */
  commit(changes: readonly Change[], call: ApiCall | undefined, events?: readonly ServiceEvent[], options?: AuditCommitOptions): Promise<void>;
  /**
   * Undefined when every change committed so far is durable; else a promise that resolves once it
   * is (or rejects: the storage could not make it durable). Whoever answers a call awaits it first,
   * so that no answer depends on a change that is not yet on disk (audit/group-sync.ts).
   */
  settled(): Promise<void> | undefined;
  /**
   * False while records cannot be written and the bounded queue of those waiting is full: new
   * calls must then be refused with a retryable error (unless the operator chose availability).
   */
  accepting(): boolean;
}

export interface AuditCommitOptions {
  /**
   * `false`: resolve once the change and its record are committed and visible, without waiting for
   * the disk; the change is made durable by a sync shared with other commits, which `settled()`
   * awaits (a sink that cannot defer it commits durably anyway). Default true: durable on resolve.
   */
  readonly durable?: boolean;
}

/** What the store indexes a record by (LookupEvents' attributes). */
export interface RecordIndex {
  readonly eventName: string;
  readonly eventSource: string;
  readonly readOnly: boolean;
  readonly username: string | undefined;
  readonly accessKeyId: string | undefined;
  /** recipientAccountId, and the owner account of a resource of another account. */
  readonly accountId: string;
  readonly ownerAccountId: string | undefined;
  readonly resources: readonly { readonly type: string; readonly name: string }[];
}

/** One stored record. `hash` = SHA-256(prevHash ‖ record) in hex; `record` is the CloudTrail JSON. */
export interface AuditRow extends RecordIndex {
  /** The writer's chain the record belongs to ('' the first), as a store reads it back; writers leave it out. */
  readonly chain?: string | undefined;
  readonly seq: number;
  readonly eventTime: number;
  readonly eventId: string;
  readonly record: string;
  readonly prevHash: string;
  readonly hash: string;
  /**
   * Set by a store that read a lookup column whose stored value is not one it ever writes (a
   * read_only of 2, resources JSON with a repeated key): its lookups may then match the row
   * otherwise than its fields say, so verification reports the column named here.
   */
  readonly malformedColumn?: string | undefined;
}

/** A signed statement that records `seqFrom`..`seqTo` ended with `lastHash`. */
export interface AuditDigest {
  readonly seqFrom: number;
  readonly seqTo: number;
  readonly lastHash: string;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly createdAt: number;
  /** SHA-256 (hex) of the previous digest's signed payload; zeros for the first. */
  readonly prevDigestHash: string;
  readonly keyId: string;
  /** Ed25519 signature (base64) over the digest payload (see audit/digest.ts). */
  readonly signature: string;
}

export interface AuditSigningKeyRecord {
  readonly id: string;
  /** SubjectPublicKeyInfo DER, in the clear: verification needs nothing else. */
  readonly publicKey: Buffer;
  /** The PKCS#8 private key, wrapped by the key store. */
  readonly domainKeyId: string;
  readonly wrapped: Buffer;
  readonly createdAt: number;
}

/** A record's place in LookupEvents' order, across chains. */
export interface AuditCursor {
  readonly eventTime: number;
  readonly chain: string;
  readonly seq: number;
}

export interface AuditLookup {
  readonly accountId: string;
  readonly attribute?: { readonly key: string; readonly value: string } | undefined;
  readonly startTime?: number | undefined;
  readonly endTime?: number | undefined;
  /** Only records after this one in the lookup's order (pagination): newest first by event time, then chain, then seq. */
  readonly before?: AuditCursor | undefined;
  readonly limit: number;
  /**
   * Every record the lookup can match records a state change (read_only = 0): a hint that lets the
   * store read its index of state-changing records only (a few percent of a trail of mostly
   * Encrypt/Decrypt) instead of scanning every record newest first. Set only when it cannot change
   * the result (operations/cloudtrail/lookup-events.ts decides).
   */
  readonly changesOnly?: boolean | undefined;
}

/** Where the prune left off: the last removed record (a signed digest's last record). */
export interface AuditAnchor {
  readonly seq: number;
  readonly hash: string;
}

/** The newest record's position and hash: where the next record's chain link starts. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * The audit trail's storage, read asynchronously, for one chain: each writer sharing a database
 * (a worker, a node) appends to its own hash chain, with its own digests and prune anchor, so no
 * writer waits for another's; LookupEvents reads every chain. Records are appended only by `Storage.commit`
 * (ports/storage.ts), in the transaction of the change they record, which also assigns their chain
 * positions; digests, the signing key and pruning are written here.
 */
export interface AuditStore {
  /** The newest record's seq and hash (or the prune anchor), undefined when the trail is empty. */
  head(): Promise<ChainHead | undefined>;
  /** Records in seq order from `fromSeq` on, in pages. */
  scan(fromSeq: number, limit: number): Promise<AuditRow[]>;
  /** Newest first. */
  lookup(q: AuditLookup): Promise<AuditRow[]>;
  digests(): Promise<AuditDigest[]>;
  /** The digests whose last record is `seqTo` or later, oldest first. */
  digestsFrom(seqTo: number): Promise<AuditDigest[]>;
  lastDigest(): Promise<AuditDigest | undefined>;
  putDigest(d: AuditDigest): Promise<void>;
  anchor(): Promise<AuditAnchor | undefined>;
  /** Removes records up to and including `anchor.seq` and stores the anchor, atomically. */
  prune(anchor: AuditAnchor): Promise<number>;
  signingKey(): Promise<AuditSigningKeyRecord | undefined>;
  putSigningKey(k: AuditSigningKeyRecord): Promise<void>;
  count(): Promise<number>;
  /** Every chain the database holds records, digests or an anchor of ('' is the first writer's). */
  chains(): Promise<string[]>;
}
