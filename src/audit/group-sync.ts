/**
 * Group commit of state changes: many commits, one fsync.
 *
 * The rule: **nothing is answered that depends on a change not yet on disk.** A state change
 * commits without an fsync (its rows reach the operating system: a killed process loses nothing)
 * and is visible at once, so the next change, under the state-change lock, reads it; every answer
 * (of that call, and of any other call that might have read it) then waits in `settled()` until
 * one fsync covers every change visible when the answer was ready. Concurrent changes share that
 * fsync instead of paying one each.
 *
 * The watermarks are counts of this process's commits: `visible` (committed, maybe not durable)
 * and `durable` (covered by a sync). A sync started when `visible` was N makes the first N durable:
 * the storage syncs its log with every write made before it (ports/storage.ts `sync`). A durable
 * commit does the same for what came before it (`reached`). Only a process alone on its storage
 * may use this: another process reading the shared storage could answer from a change before its
 * fsync without waiting here (serve.ts enables it for the embedded SQLite installation only).
 */
export class GroupSync {
  private visible = 0;
  private durable = 0;
  /** The next sync, not started yet: whoever waits now joins it. */
  private next: Promise<void> | undefined;
  /** The sync in progress (the next one starts after it, to cover what came during it). */
  private running: Promise<void> | undefined;
  private syncs = 0;

  constructor(private readonly sync: () => Promise<void>) {}

  /** A commit without an fsync has made a change visible. */
  committed(): void {
    this.visible++;
  }

  /** The watermark now: pass it to `reached` once a durable commit or a sync started now is done. */
  mark(): number {
    return this.visible;
  }

  /** Every change visible at `mark` is durable (a durable commit or a sync after it succeeded). */
  reached(mark: number): void {
    if (mark > this.durable) this.durable = mark;
  }

  /** Syncs done for waiting answers (metrics, tests). */
  get syncCount(): number {
    return this.syncs;
  }

  /** Commits made visible before their fsync. */
  get commitCount(): number {
    return this.visible;
  }

  /**
   * Undefined when every visible change is durable (the common case: no await, no allocation);
   * else a promise that resolves once a sync covers them, or rejects with the sync's failure (the
   * answer must then not be given as a success).
   */
  settled(): Promise<void> | undefined {
    if (this.durable >= this.visible) return undefined;
    this.next ??= this.syncSoon();
    return this.next;
  }

  private async syncSoon(): Promise<void> {
    // After the sync in progress (its mark is older than what this one must cover), and after this
    // turn of the event loop, so that the changes of every request already read join this sync.
    if (this.running) await this.running.catch(() => undefined);
    await new Promise<void>((resolve) => setImmediate(resolve));
    const mark = this.visible;
    this.next = undefined;
    const run = this.sync();
    this.running = run;
    try {
      await run;
      this.syncs++;
      this.reached(mark);
    } finally {
      if (this.running === run) this.running = undefined;
    }
  }
}
