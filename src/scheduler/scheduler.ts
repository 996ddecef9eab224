/**
 * Runs time-driven work (deletion after the waiting period, automatic rotation, the usage flush)
 * every interval. A run never overlaps another, and each step is idempotent, so running late,
 * twice, or after a crash does the right thing.
 */
import { runDueWork } from '../services/lifecycle.ts';
import type { Keyring } from '../services/keyring.ts';
import type { UsageTracker } from '../services/usage.ts';
import type { Logger } from '../core/log.ts';

/** What the composition root attaches: the audit trail's transaction and event record, metrics. */
export interface SchedulerHooks {
  /** Each pass runs inside this, so that an event's record commits with its change. */
  transaction?<T>(fn: () => T): T;
  /** Told of each piece of work done (eventName as CloudTrail's service events: DeleteKey, RotateKey, ...). */
  onEvent?(event: string, keyArn: string): void;
  onRun?(seconds: number, failed: boolean): void;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly keyring: Keyring,
    private readonly usage: UsageTracker,
    private readonly log: Logger,
    private readonly hooks: SchedulerHooks = {},
  ) {}

  /** One pass over due work; returns what it did. */
  tick(): { deleted: number; rotated: number } {
    if (this.running) return { deleted: 0, rotated: 0 };
    this.running = true;
    const started = performance.now();
    let failed = false;
    try {
      this.usage.flush();
      const pass = () => runDueWork(this.keyring, (event, arn) => {
        if (event === 'DeleteKey') this.usage.forget(arn);
        this.hooks.onEvent?.(event, arn);
        this.log.info('scheduled work', { event, keyArn: arn });
      });
      return this.hooks.transaction ? this.hooks.transaction(pass) : pass();
    } catch (e) {
      failed = true;
      this.log.error('scheduler run failed', { cause: e instanceof Error ? e.message : String(e) });
      return { deleted: 0, rotated: 0 };
    } finally {
      this.running = false;
      this.hooks.onRun?.((performance.now() - started) / 1000, failed);
    }
  }

  start(intervalMs: number): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
