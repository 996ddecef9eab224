/**
 * The audit writer: builds each record, chains it (audit/chain.ts) in the order calls finish, and
 * stores it.
 *
 * - A call that changes state (CreateKey, PutKeyPolicy, CreateAccessKey, AssumeRole, ...) runs in
 *   `transaction`; its record, and every record queued before it, are written in that very
 *   transaction, so the change and its record commit together or not at all.
 * - Every other record (Encrypt, Decrypt, Describe*, denied and malformed calls) is queued in
 *   memory and group-committed: durable (one fsync) at most `flushMs` (≤ 1 s) after the first
 *   queued record, and on close. A power loss loses at most that window of read-only records.
 *   Under load the queue is written ahead in batches of BATCH_ROWS rows, each a transaction that
 *   reaches the operating system without an fsync (a killed process loses none of them) and is
 *   made durable by the group commit: no single write holds the event loop for long.
 * - Every `digestEveryRecords` records, every `digestIntervalMs` and on close, a digest of the
 *   records since the last one is signed (Ed25519) and stored with them.
 * - When records cannot be written (a full disk, an I/O error), the queue is bounded (records and
 *   age): once it is full, `accepting()` turns false and the pipelines refuse new calls with a
 *   retryable error (onFailure 'refuse', the default), or calls go on and the records that do not
 *   fit are dropped and counted, and one AuditRecordsDropped record marks the gap once writing
 *   works again (onFailure 'continue'). The writer retries by itself and recovers when the
 *   storage does; `problem()` says what is wrong (for /health).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { ApiCall, AuditAnchor, AuditDigest, AuditRow, AuditService, AuditSink, AuditStore } from '../ports/audit.ts';
import { apiCallRecord, droppedRecordsRecord, serviceEventRecord, type CloudTrailRecord, type RecordIndex } from './record.ts';
import { describeFault } from '../errors/storage-fault.ts';
import { chainHashBytes, digestHash, GENESIS, signDigest } from './chain.ts';
import type { AuditSigner } from './signing-key.ts';

export interface AuditWriterOptions {
  readonly store: AuditStore;
  readonly signer: AuditSigner;
  readonly clock: Clock;
  readonly defaultAccountId: string;
  /** Group-commit bound for read-only records, milliseconds (≤ 1000). */
  readonly flushMs: number;
  readonly digestEveryRecords: number;
  readonly digestIntervalMs: number;
  /** Records older than this many days are pruned at digest time; 0 keeps everything. */
  readonly retentionDays: number;
  readonly onError: (what: string, e: unknown) => void;
  /**
   * Called when a transaction run through `transaction` rolled back after writing something:
   * caches filled inside it (the keyring's) may show what was not committed and must be dropped.
   */
  readonly onRollback?: () => void;
  /** What to do when records cannot be written and the queue is full (default 'refuse'). */
  readonly onFailure?: AuditFailureMode;
  /** The queue's bound: this many records waiting (default 10000)… */
  readonly maxQueueRecords?: number;
  /** …or a waiting record this old (default 5000 ms). */
  readonly maxQueueAgeMs?: number;
  /**
   * Called with each signed digest once the transaction that stored it committed (the digest
   * logs outside the database append it); what it throws goes to onError.
   */
  readonly onDigest?: (d: AuditDigest) => void;
}

export type AuditFailureMode = 'refuse' | 'continue';

export interface AuditStats {
  readonly queueDepth: number;
  /** Age of the oldest queued record, seconds. */
  readonly lagSeconds: number;
  readonly recordsWritten: number;
  readonly flushes: number;
  readonly digests: number;
  /** Records not written because the queue was full (onFailure 'continue', or past twice the bound). */
  readonly dropped: number;
  /** Whether new calls are refused right now. */
  readonly refusing: boolean;
}

const DEFAULT_MAX_QUEUE = 10_000;
const DEFAULT_MAX_AGE_MS = 5_000;
/** Longest wait between two attempts to write while the storage fails. */
const MAX_RETRY_MS = 1_000;
/** Rows written ahead of the group commit per transaction (well under a millisecond of work). */
const BATCH_ROWS = 128;
const DAY_MS = 86_400_000;

/** Removes the records a signed digest ends before `beforeMs` covers; the digest's last record becomes the anchor. */
export function pruneBefore(store: AuditStore, beforeMs: number): number {
  const anchorSeq = store.anchor()?.seq ?? 0;
  const d = store.digests().filter((x) => x.lastTime < beforeMs && x.seqTo > anchorSeq).at(-1);
  if (d === undefined) return 0;
  const anchor: AuditAnchor = { seq: d.seqTo, hash: d.lastHash };
  return store.transaction(() => store.prune(anchor));
}

export class AuditWriter implements AuditSink {
  private head: { seq: number; hash: string; bytes: Buffer };
  private queue: AuditRow[] = [];
  private queuedAt = 0;
  private txDepth = 0;
  private durableInTx = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private batchScheduled = false;
  /** Rows were committed without an fsync since the last durable commit. */
  private unsynced = false;
  private digestTimer: NodeJS.Timeout | undefined;
  private lastDigest: AuditDigest | undefined;
  /** The digest signed in the running transaction, announced through onDigest once it commits. */
  private signed: AuditDigest | undefined;
  private written = 0;
  private flushes = 0;
  private digestsMade = 0;
  private closed = false;
  /** Since when, and why, records could not be written; undefined while writing works. */
  private failure: { since: number; cause: string } | undefined;
  private retryMs = 0;
  /** Records dropped since writing last worked, and when the first and last were. */
  private gap: { count: number; from: number; to: number } | undefined;
  private droppedTotal = 0;
  private readonly maxQueue: number;
  private readonly maxAgeMs: number;

  constructor(private readonly o: AuditWriterOptions) {
    this.maxQueue = o.maxQueueRecords ?? DEFAULT_MAX_QUEUE;
    this.maxAgeMs = o.maxQueueAgeMs ?? DEFAULT_MAX_AGE_MS;
    const head = o.store.head() ?? { seq: o.store.anchor()?.seq ?? 0, hash: o.store.anchor()?.hash ?? GENESIS };
    this.head = { seq: head.seq, hash: head.hash, bytes: Buffer.from(head.hash, 'hex') };
    this.lastDigest = o.store.lastDigest();
  }

  /** Starts the digest timer (the flush timer starts with the first queued record). */
  start(): void {
    this.digestTimer = setInterval(() => this.maintain(), this.o.digestIntervalMs);
    this.digestTimer.unref();
  }

  /** Whether the queue of records waiting to be written has reached its bound (records or age). */
  private full(): boolean {
    return this.queue.length >= this.maxQueue || (this.queue.length > 0 && Date.now() - this.queuedAt >= this.maxAgeMs);
  }

  /** Whether new calls may be served: false once the queue is full and the mode is 'refuse'. */
  accepting(): boolean {
    return (this.o.onFailure ?? 'refuse') === 'continue' || !this.full();
  }

  /** What keeps the trail from being written, for /health; undefined while it is fine. */
  problem(): string | undefined {
    if (this.failure === undefined && !this.full()) return undefined;
    const why = this.failure ? `cannot be written since ${new Date(this.failure.since).toISOString()} (${this.failure.cause})` : 'is falling behind';
    const refusing = this.accepting() ? '' : '; new calls are refused until it catches up';
    return `the audit trail ${why}: ${this.queue.length} record(s) waiting${refusing}`;
  }

  transaction<T>(fn: () => T): T {
    if (this.txDepth > 0) return fn();
    this.txDepth++;
    this.durableInTx = false;
    let wrote = 0;
    let committed = false;
    const headBefore = this.head;
    const queuedBefore = this.queue.length;
    const changesBefore = this.o.store.changes();
    try {
      const result = this.o.store.transaction(() => {
        const r = fn();
        if (this.durableInTx && this.queue.length > 0) {
          this.o.store.append(this.queue);
          wrote = this.queue.length;
        }
        return r;
      });
      committed = true;
      return result;
    } catch (e) {
      // The records of what was rolled back go too (they are the queue's tail: nothing else runs meanwhile).
      this.queue.length = queuedBefore;
      this.head = headBefore;
      // Only a transaction that wrote can have put uncommitted state in a cache (a refused call writes nothing).
      if (this.o.store.changes() !== changesBefore) this.o.onRollback?.();
      throw e;
    } finally {
      // Written rows leave the queue only once their transaction committed.
      if (committed && wrote > 0) {
        this.queue.splice(0, wrote);
        this.written += wrote;
        this.unsynced = false; // that commit synced the log, with every earlier batch in it
        this.recovered();
      }
      this.txDepth--;
      this.durableInTx = false;
    }
  }

  record(call: ApiCall): void {
    try {
      const meta = this.meta();
      const { record, index } = apiCallRecord(call, meta);
      this.append(record, index, meta.eventTime, this.txDepth > 0);
    } catch (e) {
      this.o.onError('audit record failed', e);
    }
  }

  recordServiceEvent(eventName: string, keyArn: string): void {
    const meta = this.meta();
    const { record, index } = serviceEventRecord(eventName, keyArn, meta);
    this.append(record, index, meta.eventTime, this.txDepth > 0);
  }

  /** Writes every queued record now (one transaction), signing a digest when one is due. */
  flush(): void {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    if (this.queue.length === 0) {
      if (this.unsynced) {
        this.o.store.sync();
        this.unsynced = false;
        this.flushes++;
      }
      return;
    }
    const batch = this.queue;
    this.digestTransaction(() => {
      this.o.store.append(batch);
      if (this.head.seq - (this.lastDigest?.seqTo ?? this.baseSeq()) >= this.o.digestEveryRecords) this.digest();
    });
    this.queue = [];
    this.written += batch.length;
    this.unsynced = false;
    this.flushes++;
    this.recovered();
  }

  /** Writing works again: clear the failure, and chain the record of any gap it left. */
  private recovered(): void {
    this.failure = undefined;
    this.retryMs = 0;
    // Outside whatever transaction just committed: the gap's record, then a write of it.
    if (this.gap !== undefined && !this.closed) setImmediate(() => { this.markGap(); this.flushSafely(); });
  }

  /** Queues the AuditRecordsDropped record of the gap so far (chained like any record). */
  private markGap(): void {
    const g = this.gap;
    if (g === undefined) return;
    this.gap = undefined;
    const meta = this.meta();
    const { record, index } = droppedRecordsRecord(g.count, g.from, g.to, meta);
    this.append(record, index, meta.eventTime, this.txDepth > 0);
  }

  private failed(e: unknown): void {
    if (this.failure === undefined) this.failure = { since: Date.now(), cause: describeFault(e) };
    this.retryMs = Math.min(Math.max(this.retryMs * 2, this.o.flushMs), MAX_RETRY_MS);
  }

  /** Writes the queue ahead of the group commit, without an fsync; on failure the rows stay queued for it. */
  private writeAhead(): void {
    this.batchScheduled = false;
    // While writes fail, only the group commit's timer retries (backing off), not every turn.
    if (this.closed || this.failure !== undefined || this.queue.length < BATCH_ROWS) return;
    const batch = this.queue;
    try {
      this.o.store.transaction(() => this.o.store.append(batch), { durable: false });
    } catch (e) {
      this.failed(e);
      this.o.onError('audit write failed', e);
      return;
    }
    this.queue = [];
    this.written += batch.length;
    this.unsynced = true;
  }

  /** Flushes, signs a digest of what no digest covers yet, and prunes past the retention. */
  maintain(): void {
    try {
      this.maintainOrThrow();
    } catch (e) {
      this.failed(e);
      this.o.onError('audit maintenance failed', e);
    }
  }

  private maintainOrThrow(): void {
    this.flush();
    if (this.head.seq > (this.lastDigest?.seqTo ?? this.baseSeq())) this.digestTransaction(() => this.digest());
    if (this.o.retentionDays > 0) pruneBefore(this.o.store, this.o.clock.now() - this.o.retentionDays * DAY_MS);
  }

  stats(): AuditStats {
    return {
      queueDepth: this.queue.length,
      lagSeconds: this.queue.length === 0 ? 0 : (Date.now() - this.queuedAt) / 1000,
      recordsWritten: this.written, flushes: this.flushes, digests: this.digestsMade,
      dropped: this.droppedTotal, refusing: !this.accepting(),
    };
  }

  close(): void {
    if (this.closed) return;
    this.markGap();
    this.closed = true;
    if (this.digestTimer) clearInterval(this.digestTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    // A failure here is the caller's to report: the records still queued are lost with the process.
    this.maintainOrThrow();
  }

  private baseSeq(): number {
    return this.o.store.anchor()?.seq ?? 0;
  }

  private meta(): { eventId: string; eventTime: number; defaultAccountId: string } {
    return { eventId: randomUUID(), eventTime: this.o.clock.now(), defaultAccountId: this.o.defaultAccountId };
  }

  private append(record: CloudTrailRecord, index: RecordIndex, eventTime: number, durable: boolean): void {
    // Past the bound a record is dropped before it is chained, so the chain stays whole: in
    // 'continue' mode at the bound, and in any mode at twice it (calls admitted before it filled).
    if (!durable && (this.queue.length >= 2 * this.maxQueue || ((this.o.onFailure ?? 'refuse') === 'continue' && this.full()))) {
      this.droppedTotal++;
      this.gap = this.gap ? { ...this.gap, count: this.gap.count + 1, to: eventTime } : { count: 1, from: eventTime, to: eventTime };
      return;
    }
    const json = JSON.stringify(record);
    const seq = this.head.seq + 1;
    const bytes = chainHashBytes(this.head.bytes, json);
    const hash = bytes.toString('hex');
    const row: AuditRow = {
      seq, eventTime, eventId: record.eventID as string, record: json, prevHash: this.head.hash, hash,
      eventName: index.eventName, eventSource: index.eventSource, readOnly: index.readOnly, username: index.username,
      accessKeyId: index.accessKeyId, accountId: index.accountId, ownerAccountId: index.ownerAccountId, resources: index.resources,
    };
    this.head = { seq, hash, bytes };
    if (this.queue.length === 0) this.queuedAt = Date.now();
    this.queue.push(row);
    if (durable) {
      this.durableInTx = true;
      return;
    }
    // The group commit's deadline runs from the first record not yet durable.
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flushSafely(), this.o.flushMs);
    if (this.queue.length >= BATCH_ROWS && !this.batchScheduled) {
      this.batchScheduled = true;
      setImmediate(() => this.writeAhead()); // after the answers of this turn are sent
    }
  }

  private flushSafely(): void {
    try {
      this.flush();
    } catch (e) {
      this.failed(e);
      this.o.onError('audit flush failed', e);
      // Retry by itself, backing off to once a second: the trail recovers when the storage does.
      if (!this.closed && !this.flushTimer) this.flushTimer = setTimeout(() => this.flushSafely(), this.retryMs);
    }
  }

  /** Runs `fn`, which may sign a digest, in a store transaction; a digest is announced only once it committed. */
  private digestTransaction(fn: () => void): void {
    this.signed = undefined;
    const before = { lastDigest: this.lastDigest, made: this.digestsMade };
    try {
      this.o.store.transaction(fn);
    } catch (e) {
      // A digest signed in a transaction that did not commit was never stored: the next one chains to the last stored one.
      this.lastDigest = before.lastDigest;
      this.digestsMade = before.made;
      this.signed = undefined;
      throw e;
    }
    const d = this.signed;
    this.signed = undefined;
    if (d === undefined || this.o.onDigest === undefined) return;
    try {
      this.o.onDigest(d);
    } catch (e) {
      this.o.onError('audit digest hook failed', e);
    }
  }

  /** Signs a digest of the records since the last one; call inside a store transaction. */
  private digest(): void {
    const from = (this.lastDigest?.seqTo ?? this.baseSeq()) + 1;
    if (this.head.seq < from) return;
    const firstRow = this.o.store.scan(from, 1)[0];
    const lastRow = this.o.store.scan(this.head.seq, 1)[0];
    if (!firstRow || !lastRow || lastRow.seq !== this.head.seq) return; // the newest records are still queued
    const d = signDigest({
      seqFrom: from, seqTo: lastRow.seq, lastHash: lastRow.hash, firstTime: firstRow.eventTime, lastTime: lastRow.eventTime,
      createdAt: this.o.clock.now(), prevDigestHash: this.lastDigest ? digestHash(this.lastDigest) : GENESIS, keyId: this.o.signer.keyId,
    }, this.o.signer.privateKey);
    this.o.store.putDigest(d);
    this.signed = d;
    this.lastDigest = d;
    this.digestsMade++;
  }
}
