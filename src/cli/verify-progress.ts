/**
 * `coffer audit verify`'s progress: the records of a chain counted as the verifier reads them, and a
 * line on standard error at most every `everyMs` (and one at the end of each chain), so that a
 * verification of millions of records shows it is moving. Counting wraps the rows the verifier
 * iterates; the verifier itself is unchanged.
 */
export interface ProgressSink {
  /** A chain's count so far; `done` once its last record was read. */
  (chain: string, records: number, done: boolean): void;
}

/** Rows checked against the clock once per this many (reading the clock per row would cost more than the count). */
const CLOCK_EVERY = 1024;

export function countingRows<T>(rows: Iterable<T>, chain: string, sink: ProgressSink, everyMs: number, now: () => number = Date.now): Iterable<T> {
  return {
    *[Symbol.iterator]() {
      let n = 0;
      let last = now();
      for (const r of rows) {
        yield r;
        n++;
        if (n % CLOCK_EVERY === 0) {
          const t = now();
          if (t - last >= everyMs) {
            last = t;
            sink(chain, n, false);
          }
        }
      }
      sink(chain, n, true);
    },
  };
}

/** The line a progress report prints (the chain named when the trail has several). */
export function progressLine(chain: string, records: number, done: boolean): string {
  const where = chain === '' ? '' : ` (chain '${chain}')`;
  return `${done ? 'Read' : 'Verifying:'} ${records.toLocaleString('en-US')} records${where}${done ? '' : '…'}`;
}
