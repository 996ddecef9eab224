/**
 * Last-usage tracking for GetKeyLastUsage. Recorded in memory on the hot path and committed in
 * batches (scheduler tick and shutdown), so Encrypt does no disk write for it. A crash loses at
 * most one flush interval of usage records, never a key or a ciphertext.
 */
import type { KeyRepository, KeyUsageRecord } from '../ports/key-repository.ts';
import type { Storage } from '../ports/storage.ts';

export class UsageTracker {
  private pending = new Map<string, KeyUsageRecord>();

  constructor(private readonly repo: KeyRepository, private readonly storage: Storage) {}

  record(keyArn: string, operation: string, timestamp: number, requestId: string): void {
    this.pending.set(keyArn, { keyArn, operation, timestamp, requestId });
  }

  async last(keyArn: string): Promise<KeyUsageRecord | undefined> {
    return this.pending.get(keyArn) ?? this.repo.getUsage(keyArn);
  }

  forget(keyArn: string): void {
    this.pending.delete(keyArn);
  }

  /** Writes what is pending; when the write fails the records stay pending (newer ones win) for the next flush. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.storage.commit({ changes: [{ kind: 'putUsage', records: [...batch.values()] }] });
    } catch (e) {
      for (const [arn, r] of batch) if (!this.pending.has(arn)) this.pending.set(arn, r);
      throw e;
    }
  }
}
