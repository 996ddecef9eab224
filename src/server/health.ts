/**
 * What GET /health answers: 200 `{"status":"ok"}` when the server is ready and can do its work,
 * else 503 with the reasons (starting, storage writes failing, audit trail not writable), so a
 * load balancer or an operator sees why. StorageHealth watches for storage faults reported by
 * the pipelines and the audit writer and, while there is one, probes with a small write until one
 * succeeds: the server recovers by itself when the disk does.
 */
import { describeFault, sqliteFaultCode } from '../errors/storage-fault.ts';

export type HealthReport =
  | { readonly ok: true; readonly status: 'ok' }
  | { readonly ok: false; readonly status: 'starting' | 'stopping' | 'unavailable'; readonly problems?: readonly string[] };

/** Each source says what is wrong, or undefined. */
export type ProblemSource = () => string | undefined;

export function healthReport(state: 'starting' | 'ready' | 'stopping', sources: readonly ProblemSource[]): HealthReport {
  if (state !== 'ready') return { ok: false, status: state };
  const problems = sources.map((s) => s()).filter((p): p is string => p !== undefined);
  return problems.length === 0 ? { ok: true, status: 'ok' } : { ok: false, status: 'unavailable', problems };
}

export class StorageHealth {
  private fault: { since: number; cause: string } | undefined;
  private timer: NodeJS.Timeout | undefined;

  /**
   * `probe` makes a small durable write and rejects when it cannot; `isFault` says whether an error
   * is a fault of the storage itself (the backend knows: SQLite's I/O, full-disk and corruption
   * codes; PostgreSQL's lost or refused connections, timeouts, server shutdowns).
   */
  constructor(
    private readonly probe: () => void | Promise<void>,
    private readonly isFault: (e: unknown) => boolean = (e) => sqliteFaultCode(e) !== undefined,
    private readonly probeEveryMs = 1000,
  ) {}

  /**
   * Told of an error; a fault of the storage itself marks it failing until a probe write
   * succeeds. One damaged record does not: it is answered and logged where it is read, and the
   * server goes on serving everything else.
   */
  report(e: unknown): void {
    if (!this.isFault(e)) return;
    if (this.fault === undefined) this.fault = { since: Date.now(), cause: describeFault(e) };
    this.schedule();
  }

  problem(): string | undefined {
    return this.fault ? `storage writes fail since ${new Date(this.fault.since).toISOString()} (${this.fault.cause})` : undefined;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private stopped = false;

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      void (async () => {
        try {
          await this.probe();
          this.fault = undefined;
          this.timer = undefined;
        } catch {
          this.timer = undefined;
          this.schedule();
        }
      })();
    }, this.probeEveryMs);
    this.timer.unref();
  }
}
