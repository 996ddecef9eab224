/**
 * Runs time-driven work (deletion after the waiting period, automatic rotation, expiry of imported
 * material, the usage flush) every interval. A pass runs under the state-change lock like any
 * change, records its writes in a change set of its own, and commits them with its service events'
 * records in one transaction. A run never overlaps another, and each step is idempotent, so
 * running late, twice, or after a crash does the right thing. Where several processes share the
 * storage, only the holder of the database's lease runs the due work; and should two ever run it
 * at once, each key's change is conditional on the revision it read, so one of them commits.
 */
import { runDueWork, type TokenKeysToDestroy } from '../services/lifecycle.ts';
import { topicsOf } from '../services/coherence.ts';
import type { Keyring } from '../services/keyring.ts';
import { KeySession, newUnitOfWork } from '../services/key-session.ts';
import type { UsageTracker } from '../services/usage.ts';
import type { AuditSink } from '../ports/audit.ts';
import type { Logger } from '../core/log.ts';
import type { Mutex } from '../core/mutex.ts';

export interface SchedulerDeps {
  readonly keyring: Keyring;
  readonly usage: UsageTracker;
  readonly audit: AuditSink;
  readonly lock: Mutex;
  readonly log: Logger;
  /** Told of each piece of work done (eventName as CloudTrail's service events: DeleteKey, RotateKey, ...). */
  readonly onEvent?: (event: string, keyArn: string) => void;
  readonly onRun?: (seconds: number, failed: boolean) => void;
  /**
   * Whether this process may run the due work now (several processes share the storage: the one
   * holding the database's lease does it; ports/storage.ts Leases). Absent: always.
   */
  readonly lease?: (() => Promise<boolean>) | undefined;
  /**
   * The HSM clusters' jobs (services/cluster-jobs.ts), run after each pass and whenever a request
   * kicks them; they take the state-change lock themselves, only to commit (token work is slow).
   */
  readonly jobs?: { run(): Promise<number> } | undefined;
  /** Told, after the deletion committed, of deleted keys' token objects to destroy (best effort: custom key stores). */
  readonly onTokenKeysDeleted?: ((keys: readonly TokenKeysToDestroy[]) => void) | undefined;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private jobsRunning = false;
  private jobsAgain = false;
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** One pass over due work; resolves with what it did. */
  async tick(): Promise<{ deleted: number; rotated: number; expired: number }> {
    if (this.running) return { deleted: 0, rotated: 0, expired: 0 };
    this.running = true;
    const started = performance.now();
    let failed = false;
    const { keyring, usage, audit, lock, log } = this.deps;
    try {
      await usage.flush();
      if (this.deps.lease !== undefined && !await this.deps.lease()) return { deleted: 0, rotated: 0, expired: 0 };
      this.kick(false);
      return await lock.run(async () => {
        const uow = newUnitOfWork();
        const pass = await runDueWork(new KeySession(keyring, uow));
        try {
          if (uow.changes.length > 0) await audit.commit(uow.changes, undefined, pass.events);
        } catch (e) {
          // Another writer changed one of these keys first (a conflict): the next pass reads them afresh.
          keyring.invalidate(topicsOf(uow.changes));
          throw e;
        }
        if (pass.tokenKeys.length > 0) this.deps.onTokenKeysDeleted?.(pass.tokenKeys);
        for (const e of pass.events) {
          if (e.eventName === 'DeleteKey') usage.forget(e.keyArn);
          this.deps.onEvent?.(e.eventName, e.keyArn);
          log.info('scheduled work', { event: e.eventName, keyArn: e.keyArn });
        }
        return { deleted: pass.deleted, rotated: pass.rotated, expired: pass.expired };
      });
    } catch (e) {
      failed = true;
      log.error('scheduler run failed', { cause: e instanceof Error ? e.message : String(e) });
      return { deleted: 0, rotated: 0, expired: 0 };
    } finally {
      this.running = false;
      this.deps.onRun?.((performance.now() - started) / 1000, failed);
    }
  }

  /**
   * Runs the cluster jobs soon (a request just changed a cluster: its client polls for the next
   * state), on this process only while it holds the lease. Runs are never concurrent: a kick
   * during one runs them again after it; a failed run is tried again half a second later.
   */
  kick(checkLease = true): void {
    const jobs = this.deps.jobs;
    if (jobs === undefined || this.stopped) return;
    if (this.jobsRunning) { this.jobsAgain = true; return; }
    this.jobsRunning = true;
    const again = (ms: number): void => { setTimeout(() => this.kick(), ms).unref(); };
    void (async () => {
      try {
        if (checkLease && this.deps.lease !== undefined && !await this.deps.lease()) return;
        await jobs.run();
      } catch (e) {
        this.deps.log.error('cluster jobs failed', { cause: e instanceof Error ? e.message : String(e) });
        again(500);
      } finally {
        this.jobsRunning = false;
        if (this.jobsAgain) { this.jobsAgain = false; again(0); }
      }
    })();
  }

  start(intervalMs: number): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
