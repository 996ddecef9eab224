/**
 * Last-usage tracking for GetKeyLastUsage. Recorded in memory on the hot path and flushed to the
 * repository in batches (scheduler tick and shutdown), so Encrypt does no disk write for it.
 * A crash loses at most one flush interval of usage records, never a key or a ciphertext.
 */
import type { KeyRepository, KeyUsageRecord } from '../ports/key-repository.ts';

export class UsageTracker {
  private pending = new Map<string, KeyUsageRecord>();

  constructor(private readonly repo: KeyRepository) {}

  record(keyArn: string, operation: string, timestamp: number, requestId: string): void {
    this.pending.set(keyArn, { keyArn, operation, timestamp, requestId });
  }

  last(keyArn: string): KeyUsageRecord | undefined {
    return this.pending.get(keyArn) ?? this.repo.getUsage(keyArn);
  }

  forget(keyArn: string): void {
    this.pending.delete(keyArn);
  }

  /** Writes what is pending; when the write fails the records stay pending (newer ones win) for the next flush. */
  flush(): void {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      this.repo.putUsage([...batch.values()]);
    } catch (e) {
      for (const [arn, r] of batch) if (!this.pending.has(arn)) this.pending.set(arn, r);
      throw e;
    }
  }
}
