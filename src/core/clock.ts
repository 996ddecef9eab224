/** Injectable time. The domain and scheduler read time only through a Clock. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that runs with the system clock plus an offset that can be moved forward. Only the
 * test-mode endpoint moves it; SigV4 freshness is always checked against the real clock.
 */
export class OffsetClock implements Clock {
  private offsetMs = 0;
  constructor(private readonly base: Clock = systemClock) {}
  now(): number {
    return this.base.now() + this.offsetMs;
  }
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
  }
  get offset(): number {
    return this.offsetMs;
  }
}

export const DAY_MS = 86_400_000;
