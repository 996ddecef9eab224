/**
 * A token bucket: `perSecond` tokens a second, at most `perSecond` (one second's worth) saved up,
 * so a quota of N a second lets N calls through at once and then one every 1/N seconds — AWS's
 * request quotas ("N requests in each second") without the double burst a fixed one-second window
 * allows at its edges. Pure: the caller passes the time (milliseconds, any monotonic origin).
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #capacity: number;
  #tokens: number;
  #at: number;

  constructor(perSecond: number, nowMs: number) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`a token bucket needs a positive finite rate, got ${perSecond}`);
    this.#perMs = perSecond / 1000;
    // Fractional rates (one call every few seconds) still allow one call.
    this.#capacity = Math.max(1, perSecond);
    this.#tokens = this.#capacity;
    this.#at = nowMs;
  }

  /** Takes one token if there is one; false when the bucket is empty (the call is throttled). */
  take(nowMs: number): boolean {
    if (nowMs > this.#at) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + (nowMs - this.#at) * this.#perMs);
      this.#at = nowMs;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
