/**
 * A first-come, first-served asynchronous lock: `run` calls wait for every earlier one to settle.
 * The pipeline runs state changes one at a time through it (reads never wait), so a change reads
 * and writes a consistent state between its awaits, as a single transaction would.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
