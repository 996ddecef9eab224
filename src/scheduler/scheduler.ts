/**
 * Runs time-driven work (deletion after the waiting period, automatic rotation, the usage flush)
 * every interval. A run never overlaps another, and each step is idempotent, so running late,
 * twice, or after a crash does the right thing.
 */
import { runDueWork } from '../domain/lifecycle.ts';
import type { Keyring } from '../domain/keyring.ts';
import type { UsageTracker } from '../domain/usage.ts';
import type { Logger } from '../core/log.ts';

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly keyring: Keyring,
    private readonly usage: UsageTracker,
    private readonly log: Logger,
  ) {}

  /** One pass over due work; returns what it did. */
  tick(): { deleted: number; rotated: number } {
    if (this.running) return { deleted: 0, rotated: 0 };
    this.running = true;
    try {
      this.usage.flush();
      return runDueWork(this.keyring, (event, arn) => {
        if (event === 'DeleteKey') this.usage.forget(arn);
        this.log.info('scheduled work', { event, keyArn: arn });
      });
    } catch (e) {
      this.log.error('scheduler run failed', { cause: e instanceof Error ? e.message : String(e) });
      return { deleted: 0, rotated: 0 };
    } finally {
      this.running = false;
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
