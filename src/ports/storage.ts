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
  /** Applies the work in one transaction; resolves with the chain head after its records (none given: undefined). */
  commit(work: Work, options?: CommitOptions): Promise<ChainHead | undefined>;
  /** Makes every earlier non-durable commit durable. */
  sync(): Promise<void>;
}
