/**
 * Admission control: when the server is saturated, answer ThrottlingException at once, before any
 * expensive work (SigV4, JSON), so that the requests it admits keep their latency and a throttled
 * answer costs little.
 *
 * The saturation signal is the age of the current event-loop turn. Node runs every request's work
 * on one thread: in each turn it takes the requests the kernel has ready and runs them one after
 * another (an Encrypt, audit record and answer included, is one synchronous stretch of ~150 µs).
 * How long the turn has already been running is how long the requests still waiting in it have
 * waited behind others' work; once that passes the threshold, the rest of the turn is shed, the turn
 * ends quickly, and the next one (with what arrived meanwhile, a fresh client's request too) starts
 * soon. An admitted request waits about two turns at most, whatever the offered load.
 *
 * The threshold (`maxQueueMs`) is set high enough that a busy but not overloaded server (64
 * clients in a closed loop: turns of ~10 ms, plus a garbage collection) sheds nothing. Once a turn
 * holds more work than that (its admitted work plus its shed requests at the same average cost),
 * the server is overloaded, and the following turns admit for a fifth of the threshold only — or
 * for as long as shedding took in the last turn, if that is longer, so that admitted work keeps at
 * least half of the event loop however many requests are shed. Turns, and so the waits of admitted
 * requests and of new clients, get shorter while the share of the CPU that does useful work stays
 * high. A turn whose work fits the full threshold again ends the overload.
 *
 * Other signals measure the wrong thing here: the number of requests in flight stays near one when
 * the work is synchronous (each finishes before the next begins), however many wait in the kernel;
 * a sampled event-loop delay lags by its sampling interval and sheds by the past. The first request
 * of a turn is always admitted, so the server keeps making progress.
 */
export interface AdmissionOptions {
  /** Shed once the current turn has run this long (milliseconds); 0 admits everything. */
  readonly maxQueueMs: number;
  /** Monotonic milliseconds. */
  readonly now?: () => number;
  /** Runs `fn` once the current turn's I/O callbacks are done (setImmediate). */
  readonly afterTurn?: (fn: () => void) => void;
}

/** While overloaded, the threshold is this fraction of `maxQueueMs`. */
export const OVERLOAD_FACTOR = 5;

export class Admission {
  readonly #maxQueueMs: number;
  readonly #now: () => number;
  readonly #afterTurn: (fn: () => void) => void;
  #overloaded = false;
  /** When the first request of the current turn was seen; undefined between turns. */
  #turnStart: number | undefined;
  #admittedInTurn = 0;
  #shedInTurn = 0;
  /** The turn's age when it shed its first request: the time its admitted requests took. */
  #admittedMs = 0;
  /** While overloaded: how long to admit in a turn. */
  #overloadQueueMs = 0;
  #shed = 0;
  readonly #endTurn = (): void => {
    // The work that arrived in this turn, had all of it been done: over the full threshold is overload.
    const shedding = this.#shedInTurn > 0;
    const demandMs = shedding ? this.#admittedMs + (this.#shedInTurn * this.#admittedMs) / this.#admittedInTurn : 0;
    this.#overloaded = demandMs > this.#maxQueueMs;
    // Admitted work gets at least as long as shedding took (half the loop), within [max/5, max].
    const shedMs = shedding && this.#turnStart !== undefined ? this.#now() - this.#turnStart - this.#admittedMs : 0;
    this.#overloadQueueMs = Math.min(this.#maxQueueMs, Math.max(this.#maxQueueMs / OVERLOAD_FACTOR, shedMs));
    this.#turnStart = undefined;
  };

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
      this.#admittedInTurn = 1;
      this.#shedInTurn = 0;
      this.#afterTurn(this.#endTurn);
      return true;
    }
    const age = now - this.#turnStart;
    if (age < (this.#overloaded ? this.#overloadQueueMs : this.#maxQueueMs)) {
      this.#admittedInTurn++;
      return true;
    }
    if (this.#shedInTurn === 0) this.#admittedMs = age;
    this.#shedInTurn++;
    this.#shed++;
    return false;
  }

  /** Whether the last turn found the server overloaded (the lower threshold applies). */
  get overloaded(): boolean {
    return this.#overloaded;
  }

  /** Requests shed since start. */
  get shed(): number {
    return this.#shed;
  }
}
