/**
 * The unit of work's commit: a request's change set (ports/changes.ts) and the audit records that
 * go with it, applied in one transaction, all or nothing. The records' chain positions (seq,
 * previous hash, hash) are assigned inside that transaction from the head found there, so that
 * several writers cannot fork the chain: `records` is called with that head and returns the
 * chained rows (audit/ computes the hashes; storage only orders and stores).
 */
import type { AuditRow, ChainHead } from './audit.ts';
import type { Change } from './changes.ts';

export interface Work {
  readonly changes: readonly Change[];
  /**
   * What the change set touched, as cache topics (services/coherence.ts): stored in the same
   * transaction as a notice that other writers (workers, nodes) read through their ChangeFeed to
   * drop what they cached. Absent: no notice (one process alone on its storage).
   */
  readonly notice?: { readonly origin: string; readonly topics: readonly string[] } | undefined;
  /** The rows to append, chained from `head` (undefined: an empty trail). */
  readonly records?: ((head: ChainHead | undefined) => readonly AuditRow[]) | undefined;
}

export interface CommitOptions {
  /**
   * Durable (the default): on disk when the promise resolves (fsync). With `durable: false` the
   * commit reaches the operating system (a killed process loses nothing) but is made durable only
   * by the next durable commit.
   */
  readonly durable?: boolean;
}

export interface Storage {
  /**
   * Applies the work in one transaction; resolves with the chain head after its records (none
   * given: undefined). A conditional change that finds another writer's change first (ports/changes.ts),
   * or a row created twice under one unique key, fails the whole commit with StorageConflict.
   */
  commit(work: Work, options?: CommitOptions): Promise<ChainHead | undefined>;
  /** Makes every earlier non-durable commit durable. */
  sync(): Promise<void>;
}

/** A committed notice of another writer's change set (Work.notice). */
export interface ChangeNotice {
  readonly origin: string;
  readonly topics: readonly string[];
}

/**
 * The notices other writers committed, read by polling: each notice is returned once, in commit
 * order as far as the backend knows it. `lost` is true when notices may have been missed (the feed
 * could not be read for longer than it keeps them): the reader must then drop every cache.
 */
export interface ChangeFeed {
  poll(): Promise<{ readonly notices: readonly ChangeNotice[]; readonly lost: boolean }>;
}

/**
 * Leases decided by the database (one scheduler among many processes): `acquire` takes or renews
 * the named lease for `holder` until `ttlMs` from now (the database's clock where it has one) and
 * says whether `holder` holds it; a lease whose holder stopped renewing is free once it expired.
 */
export interface Leases {
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
}
