/**
 * Admission control: when the server is saturated, answer ThrottlingException at once, before any
 * expensive work (SigV4, JSON), so that the requests it admits keep their latency and a throttled
 * answer costs little.
 *
 * The saturation signal is the age of the current event-loop turn. Node runs every request's work
 * on one thread: in each turn it takes the requests the kernel has ready and runs them one after
 * another (an Encrypt, audit record and answer included, is one synchronous stretch of ~150 µs).
 * How long the turn has already been running is how long the requests still waiting in it have
 * waited behind others' work; once that passes `maxQueueMs`, the rest of the turn is shed, the turn
 * ends quickly, and the next one (with what arrived meanwhile, a fresh client's request too) starts
 * soon. An admitted request waits about two turns at most, whatever the offered load, and the
 * threshold is a latency, which is what clients feel.
 *
 * Other signals measure the wrong thing here: the number of requests in flight stays near one when
 * the work is synchronous (each finishes before the next begins), however many wait in the kernel;
 * a sampled event-loop delay lags by its sampling interval and sheds by the past. The first request
 * of a turn is always admitted, so the server keeps making progress. One threshold, no "overloaded"
 * mode with a lower one: that shortens turns, but clients that retry at once (no back-off) keep the
 * server in it and it then sheds work it could do (RSA signing by 64 such clients: 1.8k → 1.0k/s).
 * The age is wall-clock time: a server descheduled by other processes mid-turn sheds that turn's
 * tail, which on a shared machine shows as a few throttled requests under light load.
 */
export interface AdmissionOptions {
  /** Shed once the current turn has run this long (milliseconds); 0 admits everything. */
  readonly maxQueueMs: number;
  /** Monotonic milliseconds. */
  readonly now?: () => number;
  /** Runs `fn` once the current turn's I/O callbacks are done (setImmediate). */
  readonly afterTurn?: (fn: () => void) => void;
}

export class Admission {
  readonly #maxQueueMs: number;
  readonly #now: () => number;
  readonly #afterTurn: (fn: () => void) => void;
  /** When the first request of the current turn was seen; undefined between turns. */
  #turnStart: number | undefined;
  readonly #endTurn = (): void => { this.#turnStart = undefined; };
  #shed = 0;

  constructor(opts: AdmissionOptions) {
    this.#maxQueueMs = opts.maxQueueMs;
    this.#now = opts.now ?? (() => performance.now());
    this.#afterTurn = opts.afterTurn ?? ((fn) => { setImmediate(fn); });
  }

  /** Whether to do the work of a request that just arrived; false: answer ThrottlingException now. */
  admit(): boolean {
    if (this.#maxQueueMs <= 0) return true;
    const now = this.#now();
    if (this.#turnStart === undefined) {
      this.#turnStart = now;
      this.#afterTurn(this.#endTurn);
      return true;
    }
    if (now - this.#turnStart < this.#maxQueueMs) return true;
    this.#shed++;
    return false;
  }

  /** Requests shed since start. */
  get shed(): number {
    return this.#shed;
  }
}
