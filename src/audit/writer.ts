/**
 * The audit writer: builds each call's record and has it stored, chained at commit.
 *
 * - A call that changes state hands its change set and its record to `commit`: the change set,
 *   every record queued before it and its own record are stored by `Storage.commit` in one
 *   transaction, so the change and its record commit together or not at all. The records' chain
 *   positions are assigned inside that transaction (see `chain`), from the head found there.
 * - Every other record (Encrypt, Decrypt, Describe*, denied and malformed calls) is queued in
 *   memory and group-committed: durable (one fsync) at most `flushMs` (≤ 1 s) after the first
 *   queued record, and on close. A power loss loses at most that window of read-only records.
 *   Under load the queue is written ahead in batches of BATCH_ROWS rows, each a commit that
 *   reaches the operating system without an fsync (a killed process loses none of them) and is
 *   made durable by the group commit: no single write holds the event loop for long.
 * - With `groupCommit` (a process alone on its storage), a commit asked for with `durable: false`
 *   (a call's state change) is written without an fsync and visible at once; one sync then covers
 *   every such commit made meanwhile, and `settled()` tells the answers to wait for it
 *   (group-sync.ts). Without it, every commit of a change is durable on resolve.
 * - Every `digestEveryRecords` records, every `digestIntervalMs` and on close, a digest of the
 *   records since the last one is signed (Ed25519) and stored.
 * - When records cannot be written (a full disk, an I/O error), the queue is bounded (records and
 *   age): once it is full, `accepting()` turns false and the pipelines refuse new calls with a
 *   retryable error (onFailure 'refuse', the default), or calls go on and the records that do not
 *   fit are dropped before they are chained, and one AuditRecordsDropped record marks the gap once
 *   writing works again (onFailure 'continue'). The writer retries by itself and recovers when the
 *   storage does; `problem()` says what is wrong (for /health).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { ApiCall, AuditAnchor, AuditCommitOptions, AuditDigest, AuditRow, AuditSink, AuditStore, ChainHead, ServiceEvent } from '../ports/audit.ts';
import type { Change } from '../ports/changes.ts';
import type { Storage } from '../ports/storage.ts';
import { apiCallRecord, droppedRecordsRecord, serviceEventRecord, type CloudTrailRecord, type RecordIndex } from './record.ts';
import { describeFault } from '../errors/storage-fault.ts';
import { chainHashBytes, digestHash, GENESIS, signDigest } from './chain.ts';
import type { AuditSigner } from './signing-key.ts';
import { GroupSync } from './group-sync.ts';

export interface AuditWriterOptions {
  readonly store: AuditStore;
  /** Where records are committed, with the change sets they record. */
  readonly storage: Storage;
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
  /** What to do when records cannot be written and the queue is full (default 'refuse'). */
  readonly onFailure?: AuditFailureMode;
  /** The queue's bound: this many records waiting (default 10000)… */
  readonly maxQueueRecords?: number;
  /** …or a waiting record this old (default 5000 ms). */
  readonly maxQueueAgeMs?: number;
  /**
   * Called with each signed digest once it is stored (the digest logs outside the database append
   * it); what it throws goes to onError.
   */
  readonly onDigest?: (d: AuditDigest) => void;
  /**
   * Changes committed with `durable: false` share one fsync (group-sync.ts). Only for a process
   * alone on its storage (no other process may read a change before it is durable).
   */
  readonly groupCommit?: boolean;
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
  /** Syncs that made group-committed changes durable (each covering one or more). */
  readonly groupSyncs: number;
  /** Changes committed with `durable: false` under group commit. */
  readonly groupCommits: number;
}

/** A record built and waiting for its chain position. */
interface Pending {
  readonly json: string;
  readonly eventId: string;
  readonly eventTime: number;
  readonly index: RecordIndex;
}

const DEFAULT_MAX_QUEUE = 10_000;
const DEFAULT_MAX_AGE_MS = 5_000;
/** Longest wait between two attempts to write while the storage fails. */
const MAX_RETRY_MS = 1_000;
/** Rows written ahead of the group commit per commit (well under a millisecond of work). */
const BATCH_ROWS = 128;
const DAY_MS = 86_400_000;

/** Chains `pending` after `head` (an empty trail: GENESIS at 0): each row's hash covers its predecessor's. */
export function chain(pending: readonly Pending[], head: ChainHead | undefined): AuditRow[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS;
  let prevBytes: Buffer = Buffer.from(prevHash, 'hex');
  return pending.map((p) => {
    const bytes = chainHashBytes(prevBytes, p.json);
    const hash = bytes.toString('hex');
    seq++;
    const row: AuditRow = {
      seq, eventTime: p.eventTime, eventId: p.eventId, record: p.json, prevHash, hash,
      eventName: p.index.eventName, eventSource: p.index.eventSource, readOnly: p.index.readOnly, username: p.index.username,
      accessKeyId: p.index.accessKeyId, accountId: p.index.accountId, ownerAccountId: p.index.ownerAccountId, resources: p.index.resources,
    };
    prevHash = hash;
    prevBytes = bytes;
    return row;
  });
}

/** Removes the records a signed digest ends before `beforeMs` covers; the digest's last record becomes the anchor. */
export async function pruneBefore(store: AuditStore, beforeMs: number): Promise<number> {
  const anchorSeq = (await store.anchor())?.seq ?? 0;
  const d = (await store.digests()).filter((x) => x.lastTime < beforeMs && x.seqTo > anchorSeq).at(-1);
  if (d === undefined) return 0;
  const anchor: AuditAnchor = { seq: d.seqTo, hash: d.lastHash };
  return store.prune(anchor);
}

export class AuditWriter implements AuditSink {
  private queue: Pending[] = [];
  private queuedAt = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private batchScheduled = false;
  /** Rows were committed without an fsync since the last durable commit. */
  private unsynced = false;
  private digestTimer: NodeJS.Timeout | undefined;
  /** The newest committed record, as this writer knows it. */
  private head: ChainHead | undefined;
  private lastDigest: AuditDigest | undefined;
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
  private readonly group: GroupSync;

  private constructor(private readonly o: AuditWriterOptions) {
    this.group = new GroupSync(() => o.storage.sync());
    this.maxQueue = o.maxQueueRecords ?? DEFAULT_MAX_QUEUE;
    this.maxAgeMs = o.maxQueueAgeMs ?? DEFAULT_MAX_AGE_MS;
  }

  /** A writer that continues the stored trail (its head and its last digest). */
  static async open(o: AuditWriterOptions): Promise<AuditWriter> {
    const w = new AuditWriter(o);
    w.head = await o.store.head();
    w.lastDigest = await o.store.lastDigest();
    return w;
  }

  /** Starts the digest timer (the flush timer starts with the first queued record). */
  start(): void {
    this.digestTimer = setInterval(() => void this.maintain(), this.o.digestIntervalMs);
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

  /** Queues a call's record for the group commit (read-only calls, and every failed call). */
  record(call: ApiCall): void {
    try {
      this.enqueue(this.build(call));
    } catch (e) {
      this.o.onError('audit record failed', e);
    }
  }

  /**
   * Commits a change set with its record (a call's, or the service events of a scheduler pass)
   * and every record queued before it, in one transaction. Throws what the storage throws; the
   * queued records then wait for the next commit.
   */
  async commit(changes: readonly Change[], call: ApiCall | undefined, events: readonly ServiceEvent[] = [], options?: AuditCommitOptions): Promise<void> {
    const own = [...(call ? [this.build(call)] : []), ...events.map((e) => this.buildEvent(e))];
    if (options?.durable === false && this.o.groupCommit === true) {
      await this.commitWith(changes, own, false);
      this.unsynced = true;
      this.group.committed();
      return;
    }
    const mark = this.group.mark();
    await this.commitWith(changes, own, true);
    this.unsynced = false; // that durable commit synced the log, with every earlier batch in it
    this.group.reached(mark);
  }

  settled(): Promise<void> | undefined {
    return this.group.settled();
  }


  /** Writes every queued record now (one durable commit), signing a digest when one is due. */
  async flush(): Promise<void> {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    const mark = this.group.mark();
    if (this.queue.length === 0) {
      if (this.unsynced) {
        await this.o.storage.sync();
        this.unsynced = false;
        this.group.reached(mark);
        this.flushes++;
      }
      return;
    }
    await this.commitWith([], [], true);
    this.unsynced = false;
    this.group.reached(mark);
    this.flushes++;
    if (this.undigestedCount() >= this.o.digestEveryRecords) await this.digest();
  }

  /** Flushes, signs a digest of what no digest covers yet, and prunes past the retention. */
  async maintain(): Promise<void> {
    try {
      await this.maintainOrThrow();
    } catch (e) {
      this.failed(e);
      this.o.onError('audit maintenance failed', e);
    }
  }

  stats(): AuditStats {
    return {
      queueDepth: this.queue.length,
      lagSeconds: this.queue.length === 0 ? 0 : (Date.now() - this.queuedAt) / 1000,
      recordsWritten: this.written, flushes: this.flushes, digests: this.digestsMade,
      dropped: this.droppedTotal, refusing: !this.accepting(), groupSyncs: this.group.syncCount, groupCommits: this.group.commitCount,
    };
  }

  /** Writes what is queued and a last digest. A failure is the caller's to report: what is still queued is lost with the process. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.markGap();
    this.closed = true;
    if (this.digestTimer) clearInterval(this.digestTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.maintainOrThrow();
  }

  // ---- internals

  private build(call: ApiCall): Pending {
    const meta = this.meta();
    const { record, index } = apiCallRecord(call, meta);
    return this.pending(record, index, meta.eventTime);
  }

  private buildEvent(e: ServiceEvent): Pending {
    const meta = this.meta();
    const { record, index } = serviceEventRecord(e.eventName, e.keyArn, meta);
    return this.pending(record, index, meta.eventTime);
  }

  private pending(record: CloudTrailRecord, index: RecordIndex, eventTime: number): Pending {
    return { json: JSON.stringify(record), eventId: record.eventID as string, eventTime, index };
  }

  private meta(): { eventId: string; eventTime: number; defaultAccountId: string } {
    return { eventId: randomUUID(), eventTime: this.o.clock.now(), defaultAccountId: this.o.defaultAccountId };
  }

  private enqueue(p: Pending): void {
    // Past the bound a record is dropped before it is chained, so the chain stays whole: in
    // 'continue' mode at the bound, and in any mode at twice it (calls admitted before it filled).
    if (this.queue.length >= 2 * this.maxQueue || ((this.o.onFailure ?? 'refuse') === 'continue' && this.full())) {
      this.droppedTotal++;
      this.gap = this.gap ? { ...this.gap, count: this.gap.count + 1, to: p.eventTime } : { count: 1, from: p.eventTime, to: p.eventTime };
      return;
    }
    if (this.queue.length === 0) this.queuedAt = Date.now();
    this.queue.push(p);
    // The group commit's deadline runs from the first record not yet durable.
    if (!this.flushTimer) this.flushTimer = setTimeout(() => void this.flushSafely(), this.o.flushMs);
    if (this.queue.length >= BATCH_ROWS && !this.batchScheduled) {
      this.batchScheduled = true;
      setImmediate(() => void this.writeAhead()); // after the answers of this turn are sent
    }
  }

  /**
   * One commit of `changes` with every queued record and `own` after them. The queued records are
   * taken when the commit starts (so no other commit writes them twice) and put back, in order,
   * when it fails; `own` records go with the change they record, or not at all.
   */
  private async commitWith(changes: readonly Change[], own: readonly Pending[], durable: boolean): Promise<void> {
    const taken = this.queue;
    const takenAt = this.queuedAt;
    this.queue = [];
    const rows = taken.length === 0 ? own : own.length === 0 ? taken : [...taken, ...own];
    let chained: AuditRow[] = [];
    try {
      await this.o.storage.commit({ changes, records: rows.length === 0 ? undefined : (head) => (chained = chain(rows, head)) }, { durable });
    } catch (e) {
      // Put back in front of what queued meanwhile; the bound's age runs from the oldest again.
      if (taken.length > 0) {
        this.queue = taken.concat(this.queue);
        this.queuedAt = takenAt;
      }
      throw e;
    }
    const last = chained.at(-1);
    if (last) this.head = { seq: last.seq, hash: last.hash };
    this.written += chained.length;
    this.recovered();
  }

  /** Writes the queue ahead of the group commit, without an fsync; on failure the rows stay queued for it. */
  private async writeAhead(): Promise<void> {
    this.batchScheduled = false;
    // While writes fail, only the group commit's timer retries (backing off), not every turn.
    if (this.closed || this.failure !== undefined || this.queue.length < BATCH_ROWS) return;
    try {
      await this.commitWith([], [], false);
      this.unsynced = true;
    } catch (e) {
      this.failed(e);
      this.o.onError('audit write failed', e);
    }
  }

  private async flushSafely(): Promise<void> {
    try {
      await this.flush();
    } catch (e) {
      this.failed(e);
      this.o.onError('audit flush failed', e);
      // Retry by itself, backing off to once a second: the trail recovers when the storage does.
      if (!this.closed && !this.flushTimer) this.flushTimer = setTimeout(() => void this.flushSafely(), this.retryMs);
    }
  }

  private async maintainOrThrow(): Promise<void> {
    await this.flush();
    if (this.undigestedCount() > 0) await this.digest();
    if (this.o.retentionDays > 0) await pruneBefore(this.o.store, this.o.clock.now() - this.o.retentionDays * DAY_MS);
  }

  /** Writing works again: clear the failure, and chain the record of any gap it left. */
  private recovered(): void {
    this.failure = undefined;
    this.retryMs = 0;
    if (this.gap !== undefined && !this.closed) setImmediate(() => { this.markGap(); void this.flushSafely(); });
  }

  /** Queues the AuditRecordsDropped record of the gap so far (chained like any record). */
  private markGap(): void {
    const g = this.gap;
    if (g === undefined) return;
    this.gap = undefined;
    const meta = this.meta();
    const { record, index } = droppedRecordsRecord(g.count, g.from, g.to, meta);
    this.enqueue(this.pending(record, index, meta.eventTime));
  }

  private failed(e: unknown): void {
    if (this.failure === undefined) this.failure = { since: Date.now(), cause: describeFault(e) };
    this.retryMs = Math.min(Math.max(this.retryMs * 2, this.o.flushMs), MAX_RETRY_MS);
  }

  private baseSeq(): number {
    return this.lastDigest?.seqTo ?? 0;
  }

  /** Committed records no digest covers yet. */
  private undigestedCount(): number {
    return (this.head?.seq ?? 0) - this.baseSeq();
  }

  /** Signs and stores a digest of the records since the last one; announces it once stored. */
  private async digest(): Promise<void> {
    const head = this.head;
    if (head === undefined || head.seq <= this.baseSeq()) return;
    const from = Math.max(this.baseSeq(), (await this.o.store.anchor())?.seq ?? 0) + 1;
    const firstRow = (await this.o.store.scan(from, 1))[0];
    const lastRow = (await this.o.store.scan(head.seq, 1))[0];
    if (!firstRow || !lastRow || lastRow.seq !== head.seq) return;
    const d = signDigest({
      seqFrom: firstRow.seq, seqTo: lastRow.seq, lastHash: lastRow.hash, firstTime: firstRow.eventTime, lastTime: lastRow.eventTime,
      createdAt: this.o.clock.now(), prevDigestHash: this.lastDigest ? digestHash(this.lastDigest) : GENESIS, keyId: this.o.signer.keyId,
    }, this.o.signer.privateKey);
    await this.o.store.putDigest(d);
    this.lastDigest = d;
    this.digestsMade++;
    if (this.o.onDigest) {
      try {
        this.o.onDigest(d);
      } catch (e) {
        this.o.onError('audit digest hook failed', e);
      }
    }
  }
}
